package verifytest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

const stsNS = "https://sts.amazonaws.com/doc/2011-06-15/"

// sts stands in for AWS STS GetCallerIdentity: the request must carry a
// SigV4 signature (scope <date>/us-east-1/sts/aws4_request) made with the
// key's secret access key, which this stand-in computes on its own from
// AWS's specification (canonical request, string to sign, derived key).
func (p *Providers) sts(w http.ResponseWriter, r *http.Request) {
	fault := func(status int, code, msg string) {
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(status)
		fmt.Fprintf(w, `<ErrorResponse xmlns="%s"><Error><Type>Sender</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>00000000-0000-0000-0000-000000000000</RequestId></ErrorResponse>`, stsNS, code, msg)
	}
	body, _ := io.ReadAll(r.Body)
	form, err := url.ParseQuery(string(body))
	if err != nil || form.Get("Action") != "GetCallerIdentity" || form.Get("Version") != "2011-06-15" {
		fault(http.StatusBadRequest, "InvalidAction", "Could not find operation for this request")
		return
	}
	keyID, problem := p.checkSigV4(r, string(body))
	switch problem {
	case "":
	case "InvalidClientTokenId":
		fault(http.StatusForbidden, problem, "The security token included in the request is invalid.")
		return
	case "SignatureDoesNotMatch":
		fault(http.StatusForbidden, problem, "The request signature we calculated does not match the signature you provided.")
		return
	default:
		fault(http.StatusBadRequest, "IncompleteSignature", problem)
		return
	}
	p.answer(w, r, keyID, answers{
		invalid: func(http.ResponseWriter) {
			fault(http.StatusForbidden, "InvalidClientTokenId", "The security token included in the request is invalid.")
		},
		limited: func(w http.ResponseWriter) {
			fault(http.StatusBadRequest, "Throttling", "Rate exceeded")
		},
		valid: func(w http.ResponseWriter, t Token) {
			w.Header().Set("Content-Type", "text/xml")
			fmt.Fprintf(w, `<GetCallerIdentityResponse xmlns="%s"><GetCallerIdentityResult><Arn>%s</Arn><UserId>AIDAVERIFYTEST</UserId><Account>123456789012</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>00000000-0000-0000-0000-000000000000</RequestId></ResponseMetadata></GetCallerIdentityResponse>`, stsNS, t.Owner)
		},
	})
}

// checkSigV4 verifies r's Authorization header; it returns the key id and
// "" when the signature is right, else an STS error code or a problem.
func (p *Providers) checkSigV4(r *http.Request, body string) (string, string) {
	auth, ok := strings.CutPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 ")
	if !ok {
		return "", "Authorization header requires AWS4-HMAC-SHA256"
	}
	parts := map[string]string{}
	for _, f := range strings.Split(auth, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(f), "=")
		parts[k] = v
	}
	scope := strings.Split(parts["Credential"], "/")
	if len(scope) != 5 || scope[2] != "us-east-1" || scope[3] != "sts" || scope[4] != "aws4_request" {
		return "", "Credential must be <key>/<date>/us-east-1/sts/aws4_request"
	}
	keyID, date := scope[0], scope[1]
	amzDate := r.Header.Get("X-Amz-Date")
	if !strings.HasPrefix(amzDate, date) {
		return "", "X-Amz-Date does not match the credential's date"
	}
	t := p.token(keyID)
	if t.Behaviour == Invalid || t.Secret == "" {
		return keyID, "InvalidClientTokenId"
	}
	signed := strings.Split(parts["SignedHeaders"], ";")
	if !slices.Contains(signed, "host") || !slices.Contains(signed, "x-amz-date") {
		return "", "SignedHeaders must include host and x-amz-date"
	}
	var canon strings.Builder
	for _, h := range signed {
		var v string
		switch h {
		case "host":
			v = r.Host
		case "content-length":
			v = strconv.FormatInt(r.ContentLength, 10)
		default:
			v = strings.Join(r.Header.Values(h), ",")
		}
		canon.WriteString(h + ":" + strings.TrimSpace(v) + "\n")
	}
	payload := r.Header.Get("X-Amz-Content-Sha256")
	if payload == "" {
		payload = hexSHA(body)
	}
	req := strings.Join([]string{r.Method, r.URL.EscapedPath(), r.URL.RawQuery, canon.String(),
		parts["SignedHeaders"], payload}, "\n")
	toSign := strings.Join([]string{"AWS4-HMAC-SHA256", amzDate, strings.Join(scope[1:], "/"), hexSHA(req)}, "\n")
	k := hmacSHA([]byte("AWS4"+t.Secret), date)
	for _, s := range scope[2:] {
		k = hmacSHA(k, s)
	}
	want := hex.EncodeToString(hmacSHA(k, toSign))
	if !hmac.Equal([]byte(want), []byte(parts["Signature"])) {
		return keyID, "SignatureDoesNotMatch"
	}
	return keyID, ""
}

func hexSHA(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func hmacSHA(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}
