package redact

import "testing"

func TestSecret(t *testing.T) {
	for _, tt := range []struct{ s, secret, want string }{
		{"TOKEN=glpat-abc TOKEN2=glpat-abc", "glpat-abc", "TOKEN=REDACTED TOKEN2=REDACTED"},
		{"TOKEN=REDACTED", "REDACTED", "TOKEN=REDACTED"},
		{"no secret here", "", "no secret here"},
		{"no secret here", "glpat-abc", "no secret here"},
	} {
		if got := Secret(tt.s, tt.secret); got != tt.want {
			t.Errorf("Secret(%q, %q) = %q, want %q", tt.s, tt.secret, got, tt.want)
		}
	}
}

func TestHash(t *testing.T) {
	// sha256 of "gitlab-pat\x00glpat-abc": the worker's reports have
	// always carried it as SecretHash.
	if got, want := Hash("gitlab-pat", "glpat-abc"), "ae2c506210bece18530cf3775abd27bcccbeadb6a6de771dc4de3b49f2aff82f"; got != want {
		t.Fatalf("Hash = %s, want %s", got, want)
	}
}
