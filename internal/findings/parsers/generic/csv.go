package generic

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/secbot/secbot/internal/findings"
)

const wantCSV = "the generic CSV format has a header row with at least Date, Title, Severity and Description " +
	"(DefectDojo's columns: Date, Title, CweId, Url, Severity, Description, Mitigation, Impact, References, " +
	"Active, Verified, FalsePositive, Duplicate)"

// requiredColumns are the columns DefectDojo reads from every row.
var requiredColumns = []string{"Date", "Title", "Severity", "Description"}

// errRowTooLarge is a row larger than a finding may be.
var errRowTooLarge = fmt.Errorf("a row is larger than %d MiB: split the report or shorten its findings",
	findings.MaxReportValue>>20)

// rowLimit is the reader under csv.Reader that bounds one row: the
// reader holds a whole row (a quoted field may run over many lines).
type rowLimit struct {
	r    io.Reader
	left int
}

func (l *rowLimit) Read(p []byte) (int, error) {
	if l.left <= 0 {
		return 0, errRowTooLarge
	}
	n, err := l.r.Read(p[:min(len(p), l.left)])
	l.left -= n
	return n, err
}

// streamCSV reads the rows one at a time with encoding/csv. Rows with the
// same severity, title and description are one finding, as DefectDojo
// merges them (with their count in nb_occurences).
func streamCSV(r io.Reader, emit func(findings.Finding) error) error {
	limit := &rowLimit{r: r}
	cr := csv.NewReader(limit)
	cr.FieldsPerRecord = -1 // short and long rows are read as Python's DictReader reads them
	cr.LazyQuotes = true
	cr.ReuseRecord = true
	limit.left = findings.MaxReportValue
	header, err := cr.Read()
	if err == io.EOF {
		return nil
	}
	if err != nil {
		return csvError(err)
	}
	columns := map[string]int{}
	for i, name := range header {
		columns[name] = i // the last of a repeated name, as DictReader
	}
	var missing []string
	for _, name := range requiredColumns {
		if _, ok := columns[name]; !ok {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("%w: %s: the header row lacks %s", findings.ErrFormat, wantCSV, strings.Join(missing, ", "))
	}
	for {
		limit.left = findings.MaxReportValue
		record, err := cr.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return csvError(err)
		}
		line, _ := cr.FieldPos(0)
		f, err := csvFinding(row{columns: columns, record: record})
		if err != nil {
			return fmt.Errorf("%w: %s: the row at line %d %w", findings.ErrFormat, wantCSV, line, err)
		}
		if err := emit(f); err != nil {
			return err
		}
	}
}

func csvError(err error) error {
	var parse *csv.ParseError
	if errors.As(err, &parse) || errors.Is(err, errRowTooLarge) {
		return fmt.Errorf("%w: %s: %w", findings.ErrFormat, wantCSV, err)
	}
	return err
}

// row is one record, read by column name.
type row struct {
	columns map[string]int
	record  []string
}

// get returns the row's value of a column and whether the header has it.
func (r row) get(name string) (string, bool) {
	i, ok := r.columns[name]
	if !ok {
		return "", false
	}
	if i < len(r.record) {
		return r.record[i], true
	}
	return "", true
}

func (r row) value(name string) string {
	v, _ := r.get(name)
	return v
}

// truth reads DefectDojo's booleans: true when the value starts with t.
func truth(s string) bool { return strings.HasPrefix(strings.ToLower(s), "t") }

func csvFinding(r row) (findings.Finding, error) {
	f := findings.Finding{
		Title: r.value("Title"), Description: r.value("Description"), Severity: csvSeverity(r.value("Severity")),
		Mitigation: r.value("Mitigation"), Impact: r.value("Impact"), References: r.value("References"),
		NbOccurences: 1, DynamicFinding: true, // DefectDojo's model defaults
	}
	date, ok := day(r.value("Date"))
	if !ok {
		return f, fmt.Errorf("has a Date that is no date: %q", r.value("Date"))
	}
	f.Date = date
	if v, ok := r.get("Active"); ok {
		f.Active = findings.Bool(truth(v))
	}
	if v, ok := r.get("Verified"); ok {
		f.Verified = findings.Bool(truth(v))
	}
	f.FalsePositive = truth(r.value("FalsePositive"))
	f.IsMitigated = truth(r.value("IsMitigated"))
	if v := r.value("MitigatedDate"); v != "" {
		if _, ok := day(v); !ok {
			return f, fmt.Errorf("has a MitigatedDate that is no date: %q", v)
		}
	}
	for _, column := range []string{"CVE", "Vulnerability Id"} {
		if id := strings.TrimSpace(r.value(column)); id != "" {
			f.VulnerabilityIDs = append(f.VulnerabilityIDs, id)
		}
	}
	if v := strings.TrimSpace(r.value("CweId")); v != "" {
		cwe, err := strconv.Atoi(v)
		if err != nil {
			return f, fmt.Errorf("has a CweId that is no number: %q", v)
		}
		f.CWE = cwe
	}
	if f.CWE == 0 {
		for _, c := range strings.FieldsFunc(r.value("CweIds"), func(c rune) bool { return c == ',' || c == ' ' }) {
			if f.CWE = cweNumber(c); f.CWE != 0 {
				break
			}
		}
	}
	f.RepeatKey = "generic-csv\x00" + f.Severity + "\x00" + f.Title + "\x00" + f.Description
	return f, nil
}

// csvSeverity keeps DefectDojo's severity words, exactly written; any
// other is Info, as DefectDojo takes them from a CSV.
func csvSeverity(s string) string {
	switch s {
	case findings.Critical, findings.High, findings.Medium, findings.Low, findings.Info:
		return s
	}
	return findings.Info
}
