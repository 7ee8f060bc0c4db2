// Package engine is SecBot's use of the gitleaks library, shared by the
// worker's gitleaks scan and the pre-receive hook so that both find the
// same secrets: gitleaks' rules with a repository's own .gitleaks.toml and
// .gitleaksignore (Rules, Detector), the commits of a git log as a
// gitleaks source (GitLog), and findings with their secrets redacted
// (Redact). It imports nothing of SecBot's services.
package engine

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"
	"github.com/zricethezav/gitleaks/v8/detect"
	"github.com/zricethezav/gitleaks/v8/logging"
	"github.com/zricethezav/gitleaks/v8/report"

	"github.com/secbot/secbot/internal/redact"
)

// DecodeDepth is the gitleaks CLI's default; the library's is 0.
const DecodeDepth = 5

// silenceGitleaks turns off the gitleaks library's own logger (a global
// of that library), once, before the first rules are loaded: it logs
// secrets at debug level, and SecBot never wants its logs.
var silenceGitleaks sync.Once

func silence() { silenceGitleaks.Do(func() { logging.Logger = zerolog.Nop() }) }

// ConfigError is a repository's .gitleaks.toml that SecBot cannot use: no
// retry helps until the repository changes it.
type ConfigError struct {
	Commit string
	Err    error
}

func (e *ConfigError) Error() string { return fmt.Sprintf("commit %s: %v", e.Commit, e.Err) }

// Unwrap returns the reason.
func (e *ConfigError) Unwrap() error { return e.Err }

// Detector makes a fresh detector (gitleaks accumulates findings per
// detector) with the repository's own .gitleaks.toml and .gitleaksignore
// at commit; files larger than maxMB megabytes are not scanned (0: no
// limit).
func (r *Rules) Detector(ctx context.Context, git Git, commit string, maxMB int) (*detect.Detector, error) {
	files, err := FilesAt(ctx, git, commit, ".gitleaks.toml", ".gitleaksignore")
	if err != nil {
		return nil, err
	}
	cfg, err := r.ForRepository(files[".gitleaks.toml"])
	if err != nil {
		return nil, &ConfigError{Commit: commit, Err: err}
	}
	d := detect.NewDetectorContext(ctx, cfg)
	d.MaxDecodeDepth = DecodeDepth
	d.MaxTargetMegaBytes = maxMB
	ignore := files[".gitleaksignore"]
	if ignore == nil {
		return d, nil
	}
	// gitleaks reads its ignore file only from a path.
	f, err := os.CreateTemp("", "secbot-gitleaksignore-*")
	if err != nil {
		return nil, err
	}
	defer os.Remove(f.Name())
	_, err = f.Write(ignore)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = d.AddGitleaksIgnore(f.Name())
	}
	return d, err
}

// FilesAt reads files of a commit's tree through one `git cat-file
// --batch`; a name the tree lacks (or that is not a file, or is larger
// than MaxFileAt) is left out of the map.
func FilesAt(ctx context.Context, git Git, commit string, names ...string) (map[string][]byte, error) {
	var in strings.Builder
	for _, name := range names {
		in.WriteString(commit + ":" + name + "\n")
	}
	cmd := git.Command(ctx, "cat-file", "--batch")
	cmd.Stdin = strings.NewReader(in.String())
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting git cat-file: %w", err)
	}
	files, err := readBatch(bufio.NewReader(stdout), names)
	if werr := cmd.Wait(); err == nil && werr != nil {
		err = fmt.Errorf("git cat-file: %w", werr)
	}
	if err != nil {
		return nil, fmt.Errorf("reading %s at %s: %w", strings.Join(names, ", "), commit, err)
	}
	return files, nil
}

// MaxFileAt bounds a file FilesAt reads whole: a pushed file is the
// pusher's to size, and a larger .gitleaks.toml is read as none (the
// default rules apply).
const MaxFileAt = 8 << 20

// readBatch reads cat-file --batch's answers, one per name: "<oid> <type>
// <size>" and the content, or "<name> missing" (or "ambiguous").
func readBatch(out *bufio.Reader, names []string) (map[string][]byte, error) {
	files := map[string][]byte{}
	for _, name := range names {
		header, err := out.ReadString('\n')
		if err != nil {
			return nil, err
		}
		fields := strings.Fields(header)
		if len(fields) != 3 {
			continue // missing or ambiguous: no such file
		}
		size, err := strconv.Atoi(fields[2])
		if err != nil {
			return nil, fmt.Errorf("unexpected cat-file answer %q", strings.TrimSpace(header))
		}
		if size > MaxFileAt {
			if _, err := out.Discard(size + 1); err != nil {
				return nil, err
			}
			continue
		}
		buf := make([]byte, size+1) // the content and a newline
		if _, err := io.ReadFull(out, buf); err != nil {
			return nil, err
		}
		if fields[1] == "blob" {
			files[name] = buf[:size]
		}
	}
	return files, nil
}

// Finding is a gitleaks finding as SecBot stores and sends it: gitleaks'
// JSON report fields with Secret, Match and the line redacted, plus
// SecretHash = sha256(rule id + NUL + secret) to recognise the secret again.
type Finding struct {
	report.Finding
	SecretHash string `json:"SecretHash"`
	// Whether the secret works, as its provider said while the worker's
	// scan held it (internal/scan/gitleaks, validity.go): valid, invalid,
	// unknown or not_checked, when, and its owner and scopes where the
	// provider says. The push hook does not check.
	Validity          string      `json:"Validity,omitempty"`
	ValidityCheckedAt string      `json:"ValidityCheckedAt,omitempty"`
	ValidityOwner     string      `json:"ValidityOwner,omitempty"`
	ValidityScopes    []string    `json:"ValidityScopes,omitempty"`
	Revocation        *Revocation `json:"Revocation,omitempty"`
}

// Revocation is what happened when the scan revoked a live token, in
// the report (the findings service's gitleaks parser reads it into the
// finding's history): when, the call, GitLab's status and message, and
// the validity checked again. It holds no token.
type Revocation struct {
	At     time.Time `json:"at"`
	By     string    `json:"by"`
	Status int       `json:"status"`
	Answer string    `json:"answer,omitempty"`
	After  string    `json:"after"`
}

// Redact removes every copy of each secret from the findings, their
// commit messages included (as gitleaks' Finding.Redact(100) does to the
// match, with internal/redact, which the
// findings service's import of secrets reports shares) and keeps a hash to
// recognise it. Nothing after this sees a raw secret.
func Redact(raw []report.Finding) []Finding {
	out := make([]Finding, 0, len(raw))
	for _, f := range raw {
		hash := redact.Hash(f.RuleID, f.Secret)
		f.Match = redact.Secret(f.Match, f.Secret)
		// A commit message may quote the secret it adds ("add token
		// glpat-…"): the report carries the message, and the findings
		// service's description of the finding quotes it.
		f.Message = redact.Secret(f.Message, f.Secret)
		f.Secret = redact.Marker
		f.Line, f.Fragment = "", nil
		out = append(out, Finding{Finding: f, SecretHash: hash})
	}
	return out
}
