package verify

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// awsSecretKey is a secret access key's shape: 40 characters of base64.
var awsSecretKey = regexp.MustCompile(`(?:^|[^A-Za-z0-9/+])([A-Za-z0-9/+]{40})(?:[^A-Za-z0-9/+=]|$)`)

// stsBody is the GetCallerIdentity query, the same for every key.
const stsBody = "Action=GetCallerIdentity&Version=2011-06-15"

// checkAWS asks STS who an access key pair is: GetCallerIdentity (which
// needs no permission and changes nothing), signed with SigV4 by the AWS
// SDK's signer. The key id is the secret gitleaks found; its secret access
// key is looked for in the lines around it, and never sent (only the
// signature is).
func checkAWS(ctx context.Context, c *Checker, s Secret) Verdict {
	if strings.HasPrefix(s.Value, "ASIA") {
		return Verdict{Validity: NotChecked, Reason: "a temporary key (ASIA) needs its session token"}
	}
	secret := pairedSecret(s, awsSecretKey, "secret")
	if secret == "" {
		return Verdict{Validity: NotChecked, Reason: "no secret access key near the access key id"}
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, "https://sts.amazonaws.com/", strings.NewReader(stsBody))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	sum := sha256.Sum256([]byte(stsBody))
	creds := aws.Credentials{AccessKeyID: s.Value, SecretAccessKey: secret}
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), "sts", "us-east-1", time.Now()); err != nil {
		return Verdict{Validity: NotChecked, Reason: "signing the request failed"}
	}
	a, err := c.send(req, s.Value, secret)
	if err != nil {
		return failed(err)
	}
	var r struct {
		Arn     string `xml:"GetCallerIdentityResult>Arn"`
		Account string `xml:"GetCallerIdentityResult>Account"`
	}
	var e struct {
		Code string `xml:"Error>Code"`
	}
	switch {
	case a.status == http.StatusOK:
		v := Verdict{Validity: Valid}
		if xml.Unmarshal(a.body, &r) == nil {
			v.Owner = r.Arn
		} else {
			v.Reason = "the answer's details did not parse"
		}
		return v
	case xml.Unmarshal(a.body, &e) == nil && e.Code != "":
		switch e.Code {
		case "InvalidClientTokenId", "SignatureDoesNotMatch", "ExpiredToken", "AccessDenied":
			return Verdict{Validity: Invalid, Reason: "AWS: " + short(e.Code)}
		case "Throttling", "RequestLimitExceeded":
			return Verdict{Validity: Unknown, Reason: "AWS: " + e.Code + ": rate limited"}
		}
		v := byStatus(a)
		v.Reason += ": AWS: " + short(e.Code)
		return v
	}
	return byStatus(a)
}

// pairedSecret finds the other half of a pair in s.Context: a match of
// re (its first group) that is not s.Value itself, preferring one on a
// line that names hint ("secret").
func pairedSecret(s Secret, re *regexp.Regexp, hint string) string {
	var first string
	for _, line := range strings.Split(s.Context, "\n") {
		for _, m := range re.FindAllStringSubmatch(line, -1) {
			cand := m[1]
			if strings.Contains(s.Value, cand) || strings.Contains(cand, s.Value) {
				continue
			}
			if strings.Contains(strings.ToLower(line), hint) {
				return cand
			}
			if first == "" {
				first = cand
			}
		}
	}
	return first
}
