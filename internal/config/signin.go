package config

import (
	"fmt"
	"net/netip"
	"strings"
	"time"
)

// LoginThrottle holds back password sign-ins after failures: after
// UserAttempts failures for one user name, or AddressAttempts from one
// client address, each further attempt waits Backoff, doubling with each
// failure up to BackoffMax.
type LoginThrottle struct {
	UserAttempts, AddressAttempts int
	Backoff, BackoffMax           time.Duration
}

// minSecretKey is the shortest SECBOT_SECRET_KEY: 32 characters of
// `openssl rand -hex 32` are 128 bits.
const minSecretKey = 32

// readSignIn reads the settings of the reporter's sign-in: trusted
// proxies, the login throttle, the token secret and lifetime.
func (s *Settings) readSignIn(env Env) error {
	var err error
	if s.TrustedProxies, err = proxiesVar(env, "SECBOT_TRUSTED_PROXIES"); err != nil {
		return err
	}
	if s.PasswordCost, err = intVar(env, "SECBOT_PASSWORD_COST", 10); err != nil {
		return err
	}
	if s.PasswordCost < 4 || s.PasswordCost > 31 {
		return fmt.Errorf("SECBOT_PASSWORD_COST=%d: bcrypt's cost is 4 to 31 (default 10; lower only for tests)", s.PasswordCost)
	}
	l := &s.Login
	if l.UserAttempts, err = intVar(env, "SECBOT_LOGIN_USER_ATTEMPTS", 5); err != nil {
		return err
	}
	if l.AddressAttempts, err = intVar(env, "SECBOT_LOGIN_ADDRESS_ATTEMPTS", 20); err != nil {
		return err
	}
	if l.Backoff, err = durationVar(env, "SECBOT_LOGIN_BACKOFF", time.Second); err != nil {
		return err
	}
	if l.BackoffMax, err = durationVar(env, "SECBOT_LOGIN_BACKOFF_MAX", max(15*time.Minute, l.Backoff)); err != nil {
		return err
	}
	if l.BackoffMax < l.Backoff {
		return fmt.Errorf("SECBOT_LOGIN_BACKOFF_MAX: %v is shorter than SECBOT_LOGIN_BACKOFF (%v)", l.BackoffMax, l.Backoff)
	}
	s.SecretKey = env.Get("SECBOT_SECRET_KEY", "")
	if n := len(s.SecretKey); n > 0 && n < minSecretKey {
		return fmt.Errorf("SECBOT_SECRET_KEY: %d characters; use at least %d random ones (openssl rand -hex 32)", n, minSecretKey)
	}
	if raw := env.Get("SECBOT_API_TOKEN_TTL", ""); raw != "" && raw != "0" {
		if s.APITokenTTL, err = durationVar(env, "SECBOT_API_TOKEN_TTL", 0); err != nil {
			return fmt.Errorf("%w (or 0: tokens last until rotated)", err)
		}
	}
	return nil
}

// proxiesVar reads a comma-separated list of IP addresses and CIDR
// ranges.
func proxiesVar(env Env, name string) ([]string, error) {
	var out []string
	for item := range strings.SplitSeq(env.Get(name, ""), ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		// Canonical forms: fiber matches single addresses as text.
		if pre, err := netip.ParsePrefix(item); err == nil {
			out = append(out, pre.Masked().String())
		} else if a, err := netip.ParseAddr(item); err == nil {
			out = append(out, a.Unmap().String())
		} else {
			return nil, fmt.Errorf("%s: %q is not an IP address or a CIDR range (such as 10.0.0.0/8)", name, item)
		}
	}
	return out, nil
}
