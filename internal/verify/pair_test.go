package verify

import (
	"strings"
	"testing"
)

// FuzzPairedSecret: whatever the lines around a key are, the other half
// found there is a whole value of the pair's shape taken from them, and
// never the key itself.
func FuzzPairedSecret(f *testing.F) {
	f.Add("AKIAQWERTYUIOPASDFGH", "aws_access_key_id = AKIAQWERTYUIOPASDFGH\naws_secret_access_key = wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY12\n")
	f.Add("SK0123456789abcdef0123456789abcdef", "key=SK0123456789abcdef0123456789abcdef secret=abcdefghijklmnopqrstuvwxyzABCDEF")
	f.Add("x", strings.Repeat("a", 80))
	f.Fuzz(func(t *testing.T, value, context string) {
		s := Secret{RuleID: "aws-access-token", Value: value, Context: context}
		for _, re := range []struct {
			name string
			n    int
			got  string
		}{
			{"aws", 40, pairedSecret(s, awsSecretKey, "secret")},
			{"twilio", 32, pairedSecret(s, twilioSecret, "secret")},
		} {
			if re.got == "" {
				continue
			}
			if len(re.got) != re.n || !strings.Contains(context, re.got) || strings.Contains(value, re.got) || strings.Contains(re.got, value) {
				t.Errorf("%s: paired %q for value %q in %q", re.name, re.got, value, context)
			}
		}
	})
}

// TestPairedSecretPrefersTheSecretLine: of two values of the shape, the
// one on a line naming a secret is the pair's other half.
func TestPairedSecretPrefersTheSecretLine(t *testing.T) {
	other := strings.Repeat("Ab1", 13) + "X"
	secret := strings.Repeat("Zy9", 13) + "Q"
	s := Secret{Value: "AKIAQWERTYUIOPASDFGH", Context: "checksum: " + other + "\nAWS_SECRET_ACCESS_KEY=" + secret + "\n"}
	if got := pairedSecret(s, awsSecretKey, "secret"); got != secret {
		t.Errorf("paired %q, want %q", got, secret)
	}
}
