// Package pushguard is SecBot's pre-receive hook for GitLab's server hooks
// (Gitaly's custom hooks): it scans exactly the commits a push adds, in
// the push's quarantine, with the gitleaks rules and the repository's own
// allowlists the worker's scan uses (scan/gitleaks/engine), and refuses a
// push that carries a secret. GitLab's bypasses let a push through
// unscanned; refusals, bypasses and pushes it could not scan are reported
// to SecBot, best effort: SecBot being down never blocks a push.
package pushguard

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/zricethezav/gitleaks/v8/report"

	"github.com/secbot/secbot/internal/pushreport"
	"github.com/secbot/secbot/internal/scan/gitleaks/engine"
)

// GitLab's own bypasses of secret push protection, honoured the same way.
const (
	SkipPushOption = "secret_push_protection.skip_all"
	SkipMarker     = "[skip secret push protection]"
)

// Guard checks pushes.
type Guard struct {
	Config Config
	// Getenv reads the hook's environment: GitLab's GL_* variables and
	// git's GIT_PUSH_OPTION_*.
	Getenv func(string) string
	// Stderr is what the pusher sees (git prints it as "remote: …").
	Stderr io.Writer
	// Client sends reports (http.DefaultClient when nil).
	Client *http.Client
}

// Run checks the push whose updates stdin holds and says whether it may
// go on. Only secrets refuse it: a scan that fails or runs out of time
// lets it through, reported as not scanned.
func (g *Guard) Run(ctx context.Context, stdin io.Reader) bool {
	// 1. The refs the push changes; deleting one brings nothing.
	updates, err := ParseUpdates(stdin)
	if err != nil {
		g.say("SecBot push protection: %v; is this program installed as a pre-receive hook?", err)
		return false
	}
	updates = without(updates, Update.deletes)
	if len(updates) == 0 {
		return true
	}
	rep := g.newReport(updates)

	// 2. The push option bypass needs no look at the commits.
	if g.pushOption(SkipPushOption) {
		rep.Kind, rep.Reason = pushreport.Bypassed, pushreport.ReasonPushOption
		g.say("SecBot push protection: skipped (push option %s); this push is recorded.", SkipPushOption)
		g.report(rep)
		return true
	}
	budget, cancel := context.WithTimeout(ctx, g.Config.TimeBudget)
	defer cancel()
	repo := Repo{MaxFileMB: g.Config.MaxFileMB}
	// gitleaks' rules take most of the hook's time to build: they are
	// built while git lists the commits.
	rules := loadRules()

	// 3. The commits it adds: none for a tag or branch of commits the
	// repository has.
	units, err := g.plan(budget, repo, updates)
	if err != nil {
		return g.notScanned(budget, rep, err)
	}
	for _, u := range units {
		rep.Commits += len(u.commits)
	}
	if rep.Commits == 0 {
		return true
	}

	// 4. The commit message bypass.
	for _, u := range units {
		for _, c := range u.commits {
			if strings.Contains(c.Message, SkipMarker) {
				rep.Kind, rep.Reason = pushreport.Bypassed, pushreport.ReasonCommitMessage
				g.say("SecBot push protection: skipped (%s in commit %s); this push is recorded.", SkipMarker, c.SHA)
				g.report(rep)
				return true
			}
		}
	}

	// 5. Scan, then refuse a push with secrets.
	found, err := g.scan(budget, repo, rules, units)
	if err != nil {
		return g.notScanned(budget, rep, err)
	}
	if len(found) == 0 {
		return true
	}
	rep.Kind, rep.Reason = pushreport.Refused, pushreport.ReasonSecrets
	for _, f := range found[:min(len(found), pushreport.MaxFindings)] {
		rep.Findings = append(rep.Findings, pushreport.Finding{Commit: f.Commit, File: f.File,
			Line: f.StartLine, Rule: f.RuleID, SecretHash: f.SecretHash})
	}
	writeRefusal(g.Stderr, found)
	g.report(rep)
	return false
}

// unit is what one ref brings: the commits no existing ref (nor an
// earlier ref of the push) reaches, scanned with the allowlists at tip.
type unit struct {
	tip     string
	revs    []string
	commits []pushedCommit
}

// plan lists each ref's new commits.
func (g *Guard) plan(ctx context.Context, repo Repo, updates []Update) ([]unit, error) {
	tips, err := repo.existingTips(ctx)
	if err != nil {
		return nil, err
	}
	objects := make([]string, len(updates))
	for i, u := range updates {
		objects[i] = u.New
	}
	commits, err := repo.commitsOf(ctx, objects)
	if err != nil {
		return nil, err
	}
	exclude := make([]string, 0, len(tips)+len(updates))
	for _, t := range tips {
		exclude = append(exclude, "^"+t)
	}
	var units []unit
	for _, u := range updates {
		tip := commits[u.New]
		if tip == "" {
			continue // a tag of a tree or a blob: no commit to scan
		}
		revs := append([]string{tip}, exclude...)
		cs, err := repo.newCommits(ctx, revs)
		if err != nil {
			return nil, err
		}
		if len(cs) > 0 {
			units = append(units, unit{tip: tip, revs: revs, commits: cs})
		}
		exclude = append(exclude, "^"+tip)
	}
	return units, nil
}

// loaded is gitleaks' rules, or why they could not be built.
type loaded struct {
	rules *engine.Rules
	err   error
}

// loadRules builds the rules in the background.
func loadRules() <-chan loaded {
	ch := make(chan loaded, 1)
	go func() {
		r, err := engine.NewRules()
		ch <- loaded{r, err}
	}()
	return ch
}

// scan finds the secrets of each unit's commits.
func (g *Guard) scan(ctx context.Context, repo Repo, load <-chan loaded, units []unit) ([]engine.Finding, error) {
	var rules *engine.Rules
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case l := <-load:
		if l.err != nil {
			return nil, l.err
		}
		rules = l.rules
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var found []engine.Finding
	for _, u := range units {
		d, err := rules.Detector(ctx, repo, u.tip, g.Config.MaxFileMB)
		if err != nil {
			return nil, err
		}
		raw, err := d.DetectSource(ctx, &engine.GitLog{Git: repo, Revs: u.revs})
		if err == nil {
			err = ctx.Err()
		}
		if err != nil {
			return nil, err
		}
		found = append(found, engine.Redact(sortFindings(raw))...)
	}
	return found, nil
}

// notScanned lets a push through that could not be scanned, and says why.
func (g *Guard) notScanned(budget context.Context, rep pushreport.Report, err error) bool {
	rep.Kind, rep.Reason = pushreport.NotScanned, pushreport.ReasonError
	if errors.Is(budget.Err(), context.DeadlineExceeded) {
		rep.Reason = pushreport.ReasonTimeBudget
		g.say("SecBot push protection: the scan did not finish within %s; the push is allowed unscanned and recorded.", g.Config.TimeBudget)
	} else {
		rep.Detail = clip(err.Error())
		g.say("SecBot push protection: the push could not be scanned (%s); it is allowed and recorded.", rep.Detail)
	}
	g.report(rep)
	return true
}

func (g *Guard) newReport(updates []Update) pushreport.Report {
	project := g.Getenv("GL_PROJECT_PATH")
	if project == "" {
		project, _ = os.Getwd()
	}
	rep := pushreport.Report{Project: project, Repository: g.Getenv("GL_REPOSITORY"), User: g.Getenv("GL_USERNAME"),
		Refs: []string{}, Findings: []pushreport.Finding{}}
	for _, u := range updates[:min(len(updates), pushreport.MaxRefs)] {
		rep.Refs = append(rep.Refs, u.Ref)
	}
	return rep
}

// pushOption reports whether the pusher gave the push option (git hands
// them to the hook as GIT_PUSH_OPTION_0… when receive.advertisePushOptions
// is on, as GitLab has it).
func (g *Guard) pushOption(want string) bool {
	n, _ := strconv.Atoi(g.Getenv("GIT_PUSH_OPTION_COUNT"))
	for i := range n {
		if g.Getenv("GIT_PUSH_OPTION_"+strconv.Itoa(i)) == want {
			return true
		}
	}
	return false
}

func (g *Guard) say(format string, args ...any) {
	fmt.Fprintf(g.Stderr, format+"\n", args...)
}

func without[T any](in []T, drop func(T) bool) []T {
	out := in[:0:0]
	for _, v := range in {
		if !drop(v) {
			out = append(out, v)
		}
	}
	return out
}

// sortFindings orders findings by commit, file and line, so that the
// pusher reads them in an order that does not change between runs.
func sortFindings(raw []report.Finding) []report.Finding {
	slices.SortFunc(raw, func(a, b report.Finding) int {
		return cmp.Or(cmp.Compare(a.Commit, b.Commit), cmp.Compare(a.File, b.File),
			cmp.Compare(a.StartLine, b.StartLine), cmp.Compare(a.RuleID, b.RuleID))
	})
	return raw
}
