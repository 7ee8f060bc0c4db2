package findings

import (
	"testing"
	"time"
)

func TestThrottleWaitDoublesToItsBound(t *testing.T) {
	t.Parallel()
	th := Throttle{Backoff: time.Second, BackoffMax: 15 * time.Minute}
	for _, tt := range []struct {
		failures int
		want     time.Duration
	}{
		{0, 0}, {4, 0}, {5, time.Second}, {6, 2 * time.Second}, {7, 4 * time.Second},
		{14, 512 * time.Second}, {15, 15 * time.Minute}, {1 << 30, 15 * time.Minute},
	} {
		if got := th.wait(tt.failures, 5); got != tt.want {
			t.Errorf("wait after %d failures (5 free) = %v, want %v", tt.failures, got, tt.want)
		}
	}
}

func TestThrottleKeysHideNamesAndGroupIPv6(t *testing.T) {
	t.Parallel()
	th := Throttle{UserAttempts: 5, AddressAttempts: 20}
	a := th.keys("admin", "2001:db8:1:2:aaaa::1")
	b := th.keys("admin", "2001:db8:1:2:bbbb::9")
	c := th.keys("admin", "2001:db8:1:3::1")
	if len(a) != 2 || a[0] != b[0] || a[1] != b[1] || a[0] == c[0] {
		t.Fatalf("one /64 is one address, another /64 another: %v %v %v", a, b, c)
	}
	if v4, mapped := th.keys("x", "192.0.2.1"), th.keys("x", "::ffff:192.0.2.1"); v4[0] != mapped[0] {
		t.Fatalf("an IPv4 address counts as itself however written: %v %v", v4, mapped)
	}
	for _, k := range a {
		if k.key[:5] != "addr:" && k.key[:5] != "user:" || len(k.key) != 5+64 {
			t.Fatalf("key %q is not a kind and a SHA-256", k.key)
		}
	}
}
