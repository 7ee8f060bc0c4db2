package findings

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Throttle holds back password sign-ins after failures, per user name and
// per client address, in PostgreSQL: every reporter replica sees the same
// counts. After Free failures (UserAttempts for a user name,
// AddressAttempts for an address) each further attempt must wait Backoff,
// doubling with every failure up to BackoffMax; a count left alone for
// BackoffMax after its wait ends starts again from nothing. A successful
// sign-in clears its user name's count.
//
// An attempt is admitted before its password is hashed and counted as
// pending until it is decided, so concurrent guesses cannot all slip in
// before the first fails: of the attempts at once, only as many as the
// count has failures left are admitted (one, past the free ones); the
// others wait for those to be decided.
type Throttle struct {
	UserAttempts, AddressAttempts int
	Backoff, BackoffMax           time.Duration
}

// ThrottledError is a sign-in refused before its password was checked.
type ThrottledError struct {
	RetryAfter time.Duration
}

func (e *ThrottledError) Error() string {
	return fmt.Sprintf("findings: too many failed sign-ins: retry in %v", e.RetryAfter)
}

// Seconds is RetryAfter rounded up, for a Retry-After header.
func (e *ThrottledError) Seconds() int {
	return max(int((e.RetryAfter+time.Second-1)/time.Second), 1)
}

// Bounds on waiting for the attempts in flight: how long one may wait to
// be admitted, and after how long a pending attempt is taken for lost (its
// process died before deciding it).
const (
	admitWait  = 10 * time.Second
	pendingTTL = time.Minute
)

// wait is how long after the last of n failures the next attempt must
// wait, when free are allowed.
func (t Throttle) wait(n, free int) time.Duration {
	if n < free {
		return 0
	}
	d := t.Backoff
	for range n - free {
		if d >= t.BackoffMax {
			break
		}
		d *= 2
	}
	return min(d, t.BackoffMax)
}

// throttleKey is one count a sign-in is held back by.
type throttleKey struct {
	key  string
	free int
	user bool // a user name's, not an address's
}

// keys are the counts of a sign-in, sorted (so that concurrent sign-ins
// lock their rows in one order). An IPv6 address counts by its /64: one
// client holds a whole /64.
func (t Throttle) keys(username, addr string) []throttleKey {
	hash := func(s string) string {
		sum := sha256.Sum256([]byte(s))
		return hex.EncodeToString(sum[:])
	}
	keys := []throttleKey{{"user:" + hash(username), t.UserAttempts, true}}
	if a, err := netip.ParseAddr(addr); err == nil {
		if a = a.Unmap(); a.Is6() {
			addr = netip.PrefixFrom(a, 64).Masked().String()
		} else {
			addr = a.String()
		}
	}
	if addr != "" {
		keys = append(keys, throttleKey{"addr:" + hash(addr), t.AddressAttempts, false})
	}
	slices.SortFunc(keys, func(a, b throttleKey) int { return strings.Compare(a.key, b.key) })
	return keys
}

func names(keys []throttleKey) []string {
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = k.key
	}
	return out
}

// errBusy is an attempt that must wait for the attempts in flight.
var errBusy = errors.New("findings: sign-in attempts in flight")

// admit lets a sign-in attempt through to its password check, marking it
// pending, or refuses it with a *ThrottledError while any of its counts
// must wait after failures. An attempt that finds the count's other
// attempts in flight waits (up to admitWait) for them to be decided.
func (t Throttle) admit(ctx context.Context, pool *pgxpool.Pool, keys []throttleKey) error {
	deadline := time.Now().Add(admitWait)
	for {
		err := t.tryAdmit(ctx, pool, keys)
		if !errors.Is(err, errBusy) {
			return err
		}
		if time.Now().After(deadline) {
			return &ThrottledError{RetryAfter: time.Second}
		}
		select {
		case <-time.After(20*time.Millisecond + rand.N(40*time.Millisecond)): //nolint:gosec // G404: jitter between retries needs no secrecy
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// tryAdmit is one attempt at admit: errBusy when it must wait for others.
// The rows are locked while they are read and written, so concurrent
// attempts, on any replica, are admitted one after another.
func (t Throttle) tryAdmit(ctx context.Context, pool *pgxpool.Pool, keys []throttleKey) error {
	keyNames := names(keys)
	return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		// The rows exist before they are locked, so that first attempts
		// racing each other wait for one another too.
		if _, err := tx.Exec(ctx, `
			INSERT INTO login_throttle (key) SELECT k FROM unnest($1::text[]) AS k ORDER BY k COLLATE "C"
			ON CONFLICT (key) DO NOTHING`, keyNames); err != nil {
			return fmt.Errorf("findings: counting a sign-in: %w", err)
		}
		rows, err := tx.Query(ctx, `
			SELECT key, failures, extract(epoch FROM now() - last_failure)::float8,
				CASE WHEN pending_since > now() - $2::interval THEN pending ELSE 0 END
			FROM login_throttle WHERE key = ANY($1) ORDER BY key COLLATE "C" FOR UPDATE`, keyNames, pendingTTL)
		if err != nil {
			return fmt.Errorf("findings: reading sign-in counts: %w", err)
		}
		free := map[string]int{}
		for _, k := range keys {
			free[k.key] = k.free
		}
		failures, pending := map[string]int{}, map[string]int{}
		var retry time.Duration
		busy := false
		var key string
		var n, inFlight int
		var idleSeconds float64
		_, err = pgx.ForEachRow(rows, []any{&key, &n, &idleSeconds, &inFlight}, func() error {
			idle := time.Duration(idleSeconds * float64(time.Second))
			wait := t.wait(n, free[key])
			if idle >= wait+t.BackoffMax {
				n, wait = 0, 0 // forgotten
			}
			// idle may be negative: now() is when this transaction began, and
			// a concurrent first attempt may have made the row later. Only a
			// count that must wait holds the attempt back.
			if wait > 0 {
				retry = max(retry, wait-max(idle, 0))
			}
			busy = busy || inFlight >= max(free[key]-n, 1)
			failures[key], pending[key] = n, inFlight+1
			return nil
		})
		switch {
		case err != nil:
			return fmt.Errorf("findings: reading sign-in counts: %w", err)
		case retry > 0:
			return &ThrottledError{RetryAfter: retry}
		case busy:
			return errBusy
		}
		ns, ps := make([]int, len(keyNames)), make([]int, len(keyNames))
		for i, k := range keyNames {
			ns[i], ps[i] = failures[k], pending[k]
		}
		if _, err := tx.Exec(ctx, `
			UPDATE login_throttle t SET failures = v.n, pending = v.p, pending_since = now()
			FROM unnest($1::text[], $2::int[], $3::int[]) AS v(k, n, p) WHERE t.key = v.k`, keyNames, ns, ps); err != nil {
			return fmt.Errorf("findings: counting a sign-in: %w", err)
		}
		// Counts nobody has touched for two BackoffMax are forgotten by
		// now: drop them, so that guessed names do not pile up.
		if _, err := tx.Exec(ctx, `
			DELETE FROM login_throttle WHERE last_failure < now() - $1::interval AND pending_since < now() - $1::interval
			AND key <> ALL($2)`, max(2*t.BackoffMax, pendingTTL), keyNames); err != nil {
			return fmt.Errorf("findings: dropping old sign-in counts: %w", err)
		}
		return nil
	})
}

// An admitted attempt's outcome.
type outcome int

const (
	undecided outcome = iota // the check itself failed
	failed
	succeeded
)

// finish records an admitted attempt's outcome: a failure counts against
// its user name and address; a success clears its user name's count. It
// runs even when the request's context has ended, so that no attempt
// stays pending.
func (t Throttle) finish(ctx context.Context, pool *pgxpool.Pool, keys []throttleKey, o outcome) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	b := &pgx.Batch{}
	for _, k := range keys {
		switch {
		case o == failed:
			b.Queue(`UPDATE login_throttle SET failures = failures + 1, last_failure = now(), pending = greatest(pending - 1, 0) WHERE key = $1`, k.key)
		case o == succeeded && k.user:
			b.Queue(`UPDATE login_throttle SET failures = 0, pending = greatest(pending - 1, 0) WHERE key = $1`, k.key)
		default:
			b.Queue(`UPDATE login_throttle SET pending = greatest(pending - 1, 0) WHERE key = $1`, k.key)
		}
	}
	if err := pool.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("findings: recording a sign-in: %w", err)
	}
	return nil
}
