package config

import (
	"strings"
	"testing"
	"time"
)

func TestLimitsFromEnv(t *testing.T) {
	s, err := FromEnv(Env{})
	if err != nil {
		t.Fatal(err)
	}
	if s.Limits != (Limits{}) {
		t.Fatalf("unset limits = %+v, want zero (the packages' defaults)", s.Limits)
	}
	s, err = FromEnv(Env{"SECBOT_HEADER_TIMEOUT": "5s", "SECBOT_UPLOAD_TIMEOUT": "10m",
		"SECBOT_MAX_WAITS": "50", "SECBOT_MAX_WAITS_PER_CLIENT": "7"})
	if err != nil {
		t.Fatal(err)
	}
	if want := (Limits{HeaderTimeout: 5 * time.Second, UploadTimeout: 10 * time.Minute, MaxWaits: 50, MaxWaitsPerClient: 7}); s.Limits != want {
		t.Fatalf("limits = %+v, want %+v", s.Limits, want)
	}
	for name, value := range map[string]string{"SECBOT_HEADER_TIMEOUT": "10", "SECBOT_UPLOAD_TIMEOUT": "-1m",
		"SECBOT_MAX_WAITS": "many", "SECBOT_MAX_WAITS_PER_CLIENT": "0"} {
		_, err := FromEnv(Env{name: value})
		if err == nil || !strings.HasPrefix(err.Error(), name+":") {
			t.Errorf("%s=%s: error %v, want one naming the variable", name, value, err)
		}
	}
}
