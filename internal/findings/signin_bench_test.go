package findings_test

import (
	"errors"
	"testing"
	"time"

	"github.com/secbot/secbot/internal/findings"
	"github.com/secbot/secbot/internal/testenv"
)

// BenchmarkSignIn compares a wrong password that is checked (bcrypt and
// the throttle's bookkeeping) with one the throttle refuses before
// hashing: their ratio is what a flood of guesses costs with and without
// the throttle.
func BenchmarkSignIn(b *testing.B) {
	for _, tt := range []struct {
		name     string
		attempts int
		want     func(error) bool
	}{
		{"checked", 1 << 30, func(err error) bool { return errors.Is(err, findings.ErrBadCredentials) }},
		{"refused", 1, func(err error) bool { var te *findings.ThrottledError; return errors.As(err, &te) }},
	} {
		b.Run(tt.name, func(b *testing.B) {
			st, _ := testenv.Store(b)
			svc := findings.NewService(st.Pool())
			if err := svc.EnsureAdmin(ctx, "admin", "the password", ""); err != nil {
				b.Fatal(err)
			}
			acc := svc.Accounts(findings.AccountOptions{Secret: "bench", Throttle: findings.Throttle{
				UserAttempts: tt.attempts, AddressAttempts: tt.attempts, Backoff: time.Hour, BackoffMax: time.Hour}})
			_, _ = acc.SignIn(ctx, "admin", "a guess", "192.0.2.1") // the one failure "refused" is allowed
			for b.Loop() {
				if _, err := acc.SignIn(ctx, "admin", "a guess", "192.0.2.1"); !tt.want(err) {
					b.Fatalf("sign-in: %v", err)
				}
			}
		})
	}
}
