package api_test

import (
	"encoding/json"
	"fmt"
	"path"
	"testing"

	"github.com/secbot/secbot/internal/testenv/fixtures"
)

// TestEverySampleImportsAsDefectDojoCounts imports each of DefectDojo's
// sample reports (fixtures.DojoSamples) through POST /api/v2/import-scan/,
// under its own file name, and checks the test holds exactly the number of
// findings DefectDojo's own tests expect; then reimports the same report
// into that test, which must create nothing and close nothing.
func TestEverySampleImportsAsDefectDojoCounts(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	for i, sample := range fixtures.DojoSamples {
		t.Run(sample.File, func(t *testing.T) {
			t.Parallel()
			name := path.Base(sample.File)
			file := report(t, sample.File, name)
			fields := map[string]string{"scan_type": sample.ScanType, "product_type_name": "samples",
				"product_name": fmt.Sprintf("sample %d", i), "engagement_name": "CI", "auto_create_context": "true"}
			code, body := s.upload(t, "/api/v2/import-scan/", "Token "+token, fields, file, name)
			var imported struct {
				Test       int `json:"test"`
				Statistics struct {
					After map[string]map[string]int `json:"after"`
				} `json:"statistics"`
			}
			if code != 201 || json.Unmarshal(body, &imported) != nil {
				t.Fatalf("import: %d %s", code, body)
			}
			stored := s.db.Count(t, `SELECT count(*) FROM findings WHERE test = $1`, imported.Test)
			if stored != sample.Count || imported.Statistics.After["total"]["total"] != sample.Count {
				t.Fatalf("%s: stored %d findings (statistics %d); DefectDojo's tests expect %d",
					sample.ScanType, stored, imported.Statistics.After["total"]["total"], sample.Count)
			}
			fields["test"] = fmt.Sprint(imported.Test)
			code, body = s.upload(t, "/api/v2/reimport-scan/", "Token "+token, fields, file, name)
			var re struct {
				Statistics struct {
					Delta map[string]map[string]map[string]int `json:"delta"`
				} `json:"statistics"`
			}
			if code != 201 || json.Unmarshal(body, &re) != nil {
				t.Fatalf("reimport: %d %s", code, body)
			}
			if created, closed := re.Statistics.Delta["created"]["total"]["total"], re.Statistics.Delta["closed"]["total"]["total"]; created != 0 || closed != 0 {
				t.Fatalf("reimporting the same report created %d and closed %d findings, want none", created, closed)
			}
			if after := s.db.Count(t, `SELECT count(*) FROM findings WHERE test = $1`, imported.Test); after != sample.Count {
				t.Fatalf("after the reimport the test holds %d findings, want %d", after, sample.Count)
			}
		})
	}
}
