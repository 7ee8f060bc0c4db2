package cyclonedx

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/secbot/secbot/internal/findings"
	"github.com/secbot/secbot/internal/findings/parsers/dates"
	"github.com/secbot/secbot/internal/findings/parsers/jsonstream"
)

type jsonComponent struct {
	BomRef     *string         `json:"bom-ref"`
	Name       *string         `json:"name"`
	Version    *string         `json:"version"`
	Components []jsonComponent `json:"components"`
}

type jsonVulnerability struct {
	ID          *string `json:"id"`
	Description string  `json:"description"`
	Detail      string  `json:"detail"`
	Ratings     []struct {
		Severity *string `json:"severity"`
		Method   string  `json:"method"`
		Vector   string  `json:"vector"`
	} `json:"ratings"`
	Advisories []struct {
		Title string `json:"title"`
		URL   string `json:"url"`
	} `json:"advisories"`
	Affects []struct {
		Ref string `json:"ref"`
	} `json:"affects"`
	References []struct {
		ID string `json:"id"`
	} `json:"references"`
	CWEs           []json.RawMessage `json:"cwes"`
	Recommendation string            `json:"recommendation"`
	Analysis       *struct {
		State  string `json:"state"`
		Detail string `json:"detail"`
	} `json:"analysis"`
}

// jsonBOM is what a JSON BOM's vulnerabilities are mapped with. The
// vulnerabilities met before the components and the metadata (which
// CycloneDX tools write first) are spooled until the end of the BOM.
type jsonBOM struct {
	d                      *jsonstream.Decoder
	emit                   func(findings.Finding) error
	index                  components
	date                   time.Time
	haveComponents, haveMD bool
	early                  jsonstream.Spool
}

func streamJSON(r io.Reader, emit func(findings.Finding) error) error {
	bom := &jsonBOM{d: jsonstream.New(r), emit: emit}
	defer bom.early.Close()
	d := bom.d
	isBOM := false
	err := d.Object(false, func(key string) error {
		switch key {
		case "bomFormat":
			var format string
			if err := d.Decode(&format); err != nil {
				return err
			}
			if format != "CycloneDX" {
				return &jsonstream.ShapeError{Want: `BOM with "bomFormat": "CycloneDX"`, Found: strconv.Quote(format)}
			}
			isBOM = true
			return nil
		case "specVersion":
			isBOM = true
		case "metadata":
			bom.haveMD = true
			var md struct {
				Timestamp string `json:"timestamp"`
			}
			if err := d.Decode(&md); err != nil {
				return err
			}
			bom.date, _ = dates.Parse(md.Timestamp)
			return nil
		case "components":
			bom.haveComponents = true
			return d.Array(true, bom.component)
		case "vulnerabilities":
			isBOM = true
			return d.Array(true, func() error {
				if !bom.haveComponents || !bom.haveMD {
					return bom.early.Keep(d)
				}
				return bom.vulnerability(d)
			})
		}
		return d.Skip()
	})
	if err == nil && !isBOM && !bom.haveComponents {
		err = &jsonstream.ShapeError{Want: "CycloneDX BOM (bomFormat, specVersion, components, vulnerabilities)", Found: "none of its keys"}
	}
	if err == nil {
		err = bom.early.Each(bom.vulnerability)
	}
	return jsonstream.FormatError(err, want)
}

// component indexes one top-level component and those nested in it.
func (bom *jsonBOM) component() error {
	var c jsonComponent
	if err := bom.d.Decode(&c); err != nil {
		return err
	}
	return bom.flatten(c)
}

func (bom *jsonBOM) flatten(c jsonComponent) error {
	for _, nested := range c.Components {
		if err := bom.flatten(nested); err != nil {
			return err
		}
	}
	if c.BomRef == nil {
		return nil // bom-ref is required by 1.4, but not every tool writes it
	}
	return bom.index.add(*c.BomRef, component{name: opt(c.Name), version: opt(c.Version)})
}

func opt(s *string) optional {
	if s == nil {
		return optional{}
	}
	return optional{*s, true}
}

// vulnerability reads one vulnerability and emits a finding for each
// component it affects.
func (bom *jsonBOM) vulnerability(d *jsonstream.Decoder) error {
	var jv jsonVulnerability
	if err := d.Decode(&jv); err != nil {
		return err
	}
	v := vulnerability{id: opt(jv.ID), description: joinDetail(jv.Description, jv.Detail), mitigation: jv.Recommendation}
	if v.description == "" {
		v.description = "Description was not provided."
	}
	if len(jv.Ratings) > 0 {
		v.severity = opt(jv.Ratings[0].Severity)
	}
	for _, r := range jv.Ratings {
		severity := ""
		if r.Severity != nil {
			severity = *r.Severity
		}
		v.ratings = append(v.ratings, rating{method: r.Method, vector: r.Vector, severity: severity})
	}
	titles, urls := make([]string, len(jv.Advisories)), make([]string, len(jv.Advisories))
	for i, a := range jv.Advisories {
		titles[i], urls[i] = a.Title, a.URL
	}
	v.references = advisoryReferences(titles, urls)
	if v.id.value != "" {
		v.ids = append(v.ids, v.id.value)
	}
	for _, ref := range jv.References {
		if ref.ID != "" {
			v.ids = append(v.ids, ref.ID)
		}
	}
	if len(jv.CWEs) > 0 {
		cwe, err := cweNumber(jv.CWEs[0])
		if err != nil {
			return err
		}
		v.cwe = cwe
	}
	if jv.Analysis != nil {
		v.state, v.stateDetail = jv.Analysis.State, jv.Analysis.Detail
	}
	for _, a := range jv.Affects {
		if err := bom.emit(v.finding(bom.index.lookup(a.Ref), bom.date)); err != nil {
			return err
		}
	}
	return nil
}

// cweNumber reads a CWE of a vulnerability's cwes: a number (as the
// specification has it) or a numeric string.
func cweNumber(raw json.RawMessage) (int, error) {
	var n int
	if err := json.Unmarshal(raw, &n); err == nil {
		return n, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		if n := findings.ParseCWE("CWE-" + s); n > 0 || s == "0" {
			return n, nil
		}
	}
	return 0, &jsonstream.ShapeError{Want: "CWE number in cwes", Found: fmt.Sprintf("%.40s", raw)}
}
