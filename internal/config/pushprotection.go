package config

import "fmt"

// minPushProtectionToken is the shortest SECBOT_PUSH_PROTECTION_TOKEN.
const minPushProtectionToken = 24

// pushProtectionToken reads the token the pre-receive hook reports with.
func pushProtectionToken(env Env) (string, error) {
	token := env.Get("SECBOT_PUSH_PROTECTION_TOKEN", "")
	if n := len(token); n > 0 && n < minPushProtectionToken {
		return "", fmt.Errorf("SECBOT_PUSH_PROTECTION_TOKEN: %d characters; use at least %d random ones (openssl rand -hex 32)", n, minPushProtectionToken)
	}
	return token, nil
}
