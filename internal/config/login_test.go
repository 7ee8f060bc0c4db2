package config

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestSignInSettings(t *testing.T) {
	s, err := FromEnv(Env{})
	if err != nil {
		t.Fatal(err)
	}
	if len(s.TrustedProxies) != 0 || s.Login.UserAttempts != 5 || s.Login.AddressAttempts != 20 ||
		s.Login.Backoff != time.Second || s.Login.BackoffMax != 15*time.Minute || s.APITokenTTL != 0 || s.PasswordCost != 10 {
		t.Fatalf("defaults: proxies %v, login %+v, token TTL %v", s.TrustedProxies, s.Login, s.APITokenTTL)
	}
	s, err = FromEnv(Env{"SECBOT_TRUSTED_PROXIES": " 10.0.0.0/8, 192.168.1.7 ,,::1", "SECBOT_API_TOKEN_TTL": "720h",
		"SECBOT_LOGIN_USER_ATTEMPTS": "3", "SECBOT_LOGIN_BACKOFF": "2s", "SECBOT_SECRET_KEY": strings.Repeat("k", 32)})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(s.TrustedProxies, []string{"10.0.0.0/8", "192.168.1.7", "::1"}) || s.APITokenTTL != 720*time.Hour ||
		s.Login.UserAttempts != 3 || s.Login.Backoff != 2*time.Second || s.SecretKey != strings.Repeat("k", 32) {
		t.Fatalf("parsed: proxies %q, token TTL %v, login %+v", s.TrustedProxies, s.APITokenTTL, s.Login)
	}
	for want, env := range map[string]Env{
		`SECBOT_TRUSTED_PROXIES: "proxy.local" is not an IP address or a CIDR range`: {"SECBOT_TRUSTED_PROXIES": "10.0.0.1, proxy.local"},
		`SECBOT_TRUSTED_PROXIES: "10.0.0.0/33" is not an IP address or a CIDR range`: {"SECBOT_TRUSTED_PROXIES": "10.0.0.0/33"},
		"SECBOT_SECRET_KEY: 5 characters; use at least 32":                           {"SECBOT_SECRET_KEY": "short"},
		"SECBOT_API_TOKEN_TTL":                                                   {"SECBOT_API_TOKEN_TTL": "-1h"},
		"SECBOT_LOGIN_ADDRESS_ATTEMPTS":                                          {"SECBOT_LOGIN_ADDRESS_ATTEMPTS": "0"},
		"SECBOT_PASSWORD_COST=3: bcrypt's cost is 4 to 31":                       {"SECBOT_PASSWORD_COST": "3"},
		"SECBOT_LOGIN_BACKOFF_MAX: 1s is shorter than SECBOT_LOGIN_BACKOFF (2s)": {"SECBOT_LOGIN_BACKOFF": "2s", "SECBOT_LOGIN_BACKOFF_MAX": "1s"},
	} {
		if _, err := FromEnv(env); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%v: err = %v, want it to say %q", env, err, want)
		}
	}
}
