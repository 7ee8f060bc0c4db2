package config

import (
	"strings"
	"testing"
)

func TestPushProtectionToken(t *testing.T) {
	token := strings.Repeat("t", 32)
	s, err := FromEnv(Env{"SECBOT_PUSH_PROTECTION_TOKEN": token})
	if err != nil || s.PushProtectionToken != token {
		t.Fatalf("token %q, %v", s.PushProtectionToken, err)
	}
	_, err = FromEnv(Env{"SECBOT_PUSH_PROTECTION_TOKEN": "short"})
	if err == nil || !strings.Contains(err.Error(), "SECBOT_PUSH_PROTECTION_TOKEN: 5 characters; use at least 24") || strings.Contains(err.Error(), "short") {
		t.Fatalf("err = %v, want the length named and the value not shown", err)
	}
}
