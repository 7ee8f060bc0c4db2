package store_test

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/secbot/secbot/internal/config"
	"github.com/secbot/secbot/internal/handler"
	"github.com/secbot/secbot/internal/jobs"
	"github.com/secbot/secbot/internal/testenv"
)

// The live recount reads only the findings the job's gate counts; a
// result stored before gates (no "gated") counts all of its findings.
func TestBuiltinFindingsKeepsTheGated(t *testing.T) {
	t.Parallel()
	st, _ := testenv.Store(t)
	job := config.Job{Name: "j", Scans: []string{"s"}, Outputs: []string{"o1", "o2"}}
	if _, err := st.AcceptEvent(ctx, "k", check("c"), jobs.Plan("c", job, "")); err != nil {
		t.Fatal(err)
	}
	complete := func(id, data string) {
		t.Helper()
		if _, err := st.ClaimTask(ctx, id); err != nil {
			t.Fatal(err)
		}
		if _, err := st.CompleteTask(ctx, id, handler.Result{Data: json.RawMessage(data)}); err != nil {
			t.Fatal(err)
		}
	}
	complete(jobs.ScanTaskID("c", "s"), `[]`)
	complete(jobs.OutputTaskID("c", "s", "o1"), `{"builtin":true,"findings":[{"id":1,"gated":true},{"id":2,"gated":false},{"id":3,"gated":true}]}`)
	complete(jobs.OutputTaskID("c", "s", "o2"), `{"builtin":true,"findings":[{"id":7},{"id":8}]}`)
	got, err := st.BuiltinFindings(ctx, "c")
	if err != nil {
		t.Fatal(err)
	}
	if o1 := got[jobs.OutputTaskID("c", "s", "o1")]; !slices.Equal(o1, []int{1, 3}) {
		t.Errorf("o1 = %v, want the gated 1 and 3", o1)
	}
	if o2 := got[jobs.OutputTaskID("c", "s", "o2")]; !slices.Equal(o2, []int{7, 8}) {
		t.Errorf("o2 = %v, want both findings of a result stored before gates", o2)
	}
}
