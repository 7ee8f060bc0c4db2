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

// The live recount reads only the findings the job's gate counts: those
// not exempt (a result stored before gates has none exempt).
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
	complete(jobs.OutputTaskID("c", "s", "o1"), `{"builtin":true,"findings":[{"id":1},{"id":2,"exempt":true},{"id":3,"exempt":false}]}`)
	complete(jobs.OutputTaskID("c", "s", "o2"), `{"builtin":true,"findings":[{"id":7},{"id":8}]}`)
	got, err := st.BuiltinFindings(ctx, "c")
	if err != nil {
		t.Fatal(err)
	}
	if o1 := got[jobs.OutputTaskID("c", "s", "o1")]; !slices.Equal(o1.Gated, []int{1, 3}) || !slices.Equal(o1.All, []int{1, 2, 3}) || o1.Scan != "s" {
		t.Errorf("o1 = %+v, want all three and the gated 1 and 3", o1)
	}
	if o2 := got[jobs.OutputTaskID("c", "s", "o2")]; !slices.Equal(o2.Gated, []int{7, 8}) || !slices.Equal(o2.All, []int{7, 8}) {
		t.Errorf("o2 = %+v, want both findings of a result stored before gates gated", o2)
	}
}
