// Package redact keeps the secrets that scanners find out of everything
// SecBot stores, shows and sends. The worker redacts its own gitleaks scans
// with it, and the findings service the reports of secrets scanners it
// imports (findings.Finding.RedactSecret), so a secret reads the same
// whichever way its finding arrives.
package redact

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// Marker stands for a secret. It is gitleaks' own word (its --redact), so a
// report gitleaks redacted itself reads as one SecBot redacted.
const Marker = "REDACTED"

// Secret returns s with every copy of secret replaced by Marker, as
// gitleaks' Finding.Redact(100) does to Match. An empty secret changes
// nothing (gitleaks would put the marker between every character).
func Secret(s, secret string) string {
	if secret == "" || secret == Marker {
		return s
	}
	return strings.ReplaceAll(s, secret, Marker)
}

// Hash identifies a secret found by a rule without keeping it: SHA-256 of
// the rule id, a NUL and the secret, in hex.
func Hash(ruleID, secret string) string {
	sum := sha256.Sum256([]byte(ruleID + "\x00" + secret))
	return hex.EncodeToString(sum[:])
}
