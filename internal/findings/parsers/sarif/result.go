package sarif

import (
	"encoding/json"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/secbot/secbot/internal/findings"
)

type message struct {
	Text      *string           `json:"text"`
	Markdown  *string           `json:"markdown"`
	ID        *string           `json:"id"`
	Arguments []json.RawMessage `json:"arguments"`
}

type properties struct {
	SecuritySeverity json.RawMessage `json:"security-severity"`
	CWE              json.RawMessage `json:"cwe"`
	Tags             []any           `json:"tags"`
}

type rule struct {
	ID               string             `json:"id"`
	Name             *string            `json:"name"`
	ShortDescription *message           `json:"shortDescription"`
	FullDescription  *message           `json:"fullDescription"`
	Help             *message           `json:"help"`
	HelpURI          *string            `json:"helpUri"`
	MessageStrings   map[string]message `json:"messageStrings"`
	Default          struct {
		Level string `json:"level"`
	} `json:"defaultConfiguration"`
	Properties    *properties `json:"properties"`
	Relationships []struct {
		Target struct {
			ID string `json:"id"`
		} `json:"target"`
	} `json:"relationships"`
}

type region struct {
	StartLine   *int            `json:"startLine"`
	StartColumn *int            `json:"startColumn"`
	ByteOffset  json.RawMessage `json:"byteOffset"`
	Snippet     *struct {
		Text *string `json:"text"`
	} `json:"snippet"`
}

type physicalLocation struct {
	Artifact struct {
		URI string `json:"uri"`
	} `json:"artifactLocation"`
	Region        *region `json:"region"`
	ContextRegion *region `json:"contextRegion"`
}

type location struct {
	Physical *physicalLocation `json:"physicalLocation"`
	Message  *message          `json:"message"`
}

type result struct {
	RuleID    string `json:"ruleId"`
	RuleIndex *int   `json:"ruleIndex"`
	Rule      *struct {
		ID    string `json:"id"`
		Index *int   `json:"index"`
	} `json:"rule"`
	Kind                string            `json:"kind"`
	Level               string            `json:"level"`
	Message             *message          `json:"message"`
	Locations           []location        `json:"locations"`
	Suppressions        []json.RawMessage `json:"suppressions"`
	Fingerprints        fingerprints      `json:"fingerprints"`
	PartialFingerprints fingerprints      `json:"partialFingerprints"`
	Properties          *properties       `json:"properties"`
	Taxa                []struct {
		ID            json.RawMessage `json:"id"`
		ToolComponent struct {
			Name string `json:"name"`
		} `json:"toolComponent"`
	} `json:"taxa"`
	Fixes []struct {
		Description struct {
			Text string `json:"text"`
		} `json:"description"`
	} `json:"fixes"`
	CodeFlows []codeFlow `json:"codeFlows"`
}

type codeFlow struct {
	ThreadFlows []struct {
		Locations *[]struct {
			Location location `json:"location"`
		} `json:"locations"`
	} `json:"threadFlows"`
}

// tool is a run's tool: the rules its results refer to.
type tool struct {
	Driver struct {
		Name  string `json:"name"`
		Rules []rule `json:"rules"`
	} `json:"driver"`
	Extensions []struct {
		Rules []rule `json:"rules"`
	} `json:"extensions"`
}

// emitResult emits a result's findings, one per location (or one without
// a location), each made as it is emitted (a result may have thousands).
func emitResult(res result, rl *rule, date time.Time, secrets bool, emit func(findings.Finding) error) error {
	suppressed := len(res.Suppressions) > 0
	base := findings.Finding{
		Severity: severity(res, rl), References: references(rl), CWE: cwe(res, rl),
		StaticFinding: true, NbOccurences: 1, Date: date, Tags: tags(res, rl),
		UniqueIDFromTool: uniqueID(res), FalsePositive: suppressed,
	}
	if suppressed {
		base.Active = findings.Bool(false)
	}
	base.VulnIDFromTool = res.RuleID
	if base.VulnIDFromTool == "" && rl != nil {
		base.VulnIDFromTool = rl.ID
	}
	if cve := cvePattern.FindString(res.RuleID); cve != "" {
		base.VulnerabilityIDs = []string{strings.ToUpper(cve)}
	}
	if len(res.Fixes) > 0 {
		fixes := make([]string, len(res.Fixes))
		for i, fx := range res.Fixes {
			fixes[i] = fx.Description.Text
		}
		base.Mitigation = strings.Join(fixes, "\n")
	}
	locations := res.Locations
	if len(locations) == 0 {
		locations = []location{{}}
	}
	for _, loc := range locations {
		f := base
		if p := loc.Physical; p != nil {
			f.FilePath = p.Artifact.URI
			if p.Region != nil && p.Region.ByteOffset == nil && p.Region.StartLine != nil {
				f.Line = *p.Region.StartLine
			}
		}
		f.Title = title(res, rl)
		f.Description = description(res, rl, loc)
		if s := snippet(loc); s != nil && secrets {
			f.RedactSecret(findings.BeforeTruncation(*s))
		}
		if err := emit(f); err != nil {
			return err
		}
	}
	return nil
}

var cvePattern = regexp.MustCompile(`(?i)CVE-[0-9]+-[0-9]+`)

// severity is the level's (the result's, else its rule's default: note
// Info, warning Medium, error High, else Medium), unless the rule scores
// a security-severity: a CVSS number, or a severity word.
func severity(res result, rl *rule) string {
	level := res.Level
	if level == "" && rl != nil {
		level = rl.Default.Level
	}
	s := findings.Medium
	switch level {
	case "note":
		s = findings.Info
	case "error":
		s = findings.High
	}
	if rl == nil || rl.Properties == nil || rl.Properties.SecuritySeverity == nil {
		return s
	}
	raw := rl.Properties.SecuritySeverity
	var text string
	if json.Unmarshal(raw, &text) != nil {
		text = string(raw)
	}
	score, err := strconv.ParseFloat(strings.TrimSpace(text), 64)
	if err != nil {
		if word := findings.NormalizeSeverity(text); strings.EqualFold(word, strings.TrimSpace(text)) {
			return word
		}
		return findings.Info
	}
	switch {
	case score >= 9:
		return findings.Critical
	case score >= 7:
		return findings.High
	case score >= 4:
		return findings.Medium
	case score > 0:
		return findings.Low
	}
	return findings.Info
}

// references is the rule's helpUri, else its help when that is a link.
func references(rl *rule) string {
	switch {
	case rl == nil:
		return ""
	case rl.HelpURI != nil:
		return *rl.HelpURI
	case rl.Help != nil:
		if help, _ := messageText(rl.Help, rl); strings.HasPrefix(help, "http") {
			return help
		}
	}
	return ""
}

var cwePattern = regexp.MustCompile(`(?i)cwe-(\d+)`)

// cwes appends the CWE number s names, if any.
func cwes(list []int, s string) []int {
	if m := cwePattern.FindStringSubmatch(s); m != nil {
		if n, err := strconv.Atoi(m[1]); err == nil {
			list = append(list, n)
		}
	}
	return list
}

// cwe is the last CWE named by the result's taxa of the CWE taxonomy,
// else by its properties' cwe, else by its rule (the rule's relationships
// when it has them, else its properties' cwe, else its tags).
func cwe(res result, rl *rule) int {
	var taxa []int
	for _, t := range res.Taxa {
		if t.ToolComponent.Name != "CWE" {
			continue
		}
		id := rawText(t.ID)
		if n, err := strconv.Atoi(id); err == nil {
			taxa = append(taxa, n)
		} else if id != "" {
			taxa = cwes(taxa, "CWE-"+id)
		}
	}
	var props []int
	if res.Properties != nil && res.Properties.CWE != nil {
		props = cwes(props, rawText(res.Properties.CWE))
	}
	var fromRule []int
	if rl != nil {
		switch {
		case rl.Relationships != nil:
			for _, r := range rl.Relationships {
				fromRule = cwes(fromRule, r.Target.ID)
			}
		case rl.Properties != nil && rl.Properties.CWE != nil:
			var list []json.RawMessage
			if json.Unmarshal(rl.Properties.CWE, &list) != nil {
				list = []json.RawMessage{rl.Properties.CWE}
			}
			for _, c := range list {
				fromRule = cwes(fromRule, rawText(c))
			}
		case rl.Properties != nil:
			for _, t := range rl.Properties.Tags {
				if s, ok := t.(string); ok {
					fromRule = cwes(fromRule, s)
				}
			}
		}
	}
	for _, list := range [][]int{taxa, props, fromRule} {
		if len(list) > 0 {
			return list[len(list)-1]
		}
	}
	return 0
}

// rawText is a JSON string's text, or any other value's JSON.
func rawText(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return string(raw)
}

// tags are the rule's and the result's tags, each once, sorted, with the
// prefix external/cwe/ dropped.
func tags(res result, rl *rule) []string {
	var out []string
	for _, p := range []*properties{res.Properties, rulePropertiesOf(rl)} {
		if p == nil {
			continue
		}
		for _, t := range p.Tags {
			if s, ok := t.(string); ok {
				out = append(out, strings.TrimPrefix(s, "external/cwe/"))
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func rulePropertiesOf(rl *rule) *properties {
	if rl == nil {
		return nil
	}
	return rl.Properties
}
