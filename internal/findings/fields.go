package findings

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/secbot/secbot/internal/findings/input"
)

// Values are the fields of a create or change request: from JSON (strings,
// json.Number, booleans, lists, null) or from a form (strings, or lists of
// strings for a repeated field).
type Values map[string]any

// ValidationError is DefectDojo's 400 answer to a body it refuses:
// {"field": ["message", …]}.
type ValidationError struct{ Errors input.Errors }

func (e *ValidationError) Error() string { return e.Errors.String() }

// DefectDojo's (Django REST framework's) messages.
const (
	msgRequired = "This field is required."
	msgNull     = "This field may not be null."
	msgBlank    = "This field may not be blank."
	msgBool     = "Must be a valid boolean."
	msgDate     = "Date has wrong format. Use one of these formats instead: YYYY-MM-DD."
	msgDateTime = "Datetime has wrong format. Use one of these formats instead: YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z]."
	msgTags     = "Expected a list of items but got type \"%s\"."
)

// ParseBool reads a boolean as DefectDojo does: true, "true", "True",
// "1", "yes", "on" and their opposites.
func ParseBool(v any) (bool, bool) {
	switch x := v.(type) {
	case bool:
		return x, true
	case json.Number:
		return ParseBool(x.String())
	case string:
		switch strings.ToLower(strings.TrimSpace(x)) {
		case "true", "1", "yes", "on", "t", "y":
			return true, true
		case "false", "0", "no", "off", "f", "n":
			return false, true
		}
	}
	return false, false
}

// ParseFilterBool reads a list filter's boolean: ParseBool's words, and
// "2" for true and "3" for false, as django-filter's NullBooleanSelect
// reads DefectDojo's filters (defectdojo-cli sends active=2).
func ParseFilterBool(s string) (bool, bool) {
	switch strings.TrimSpace(s) {
	case "2":
		return true, true
	case "3":
		return false, true
	}
	return ParseBool(s)
}

// Single is a body value as one value: a JSON value as it is, a form
// field's last value (a field sent more than once keeps its last, as
// Django's QueryDict does).
func Single(v any) any {
	if list, ok := v.([]string); ok {
		if len(list) == 0 {
			return ""
		}
		return list[len(list)-1]
	}
	return v
}

// convert checks one value for f and returns it as it is stored (nil for
// a null), or the message saying why it cannot be.
func convert(f field, v any) (any, string) {
	if f.kind != tagsField {
		v = Single(v)
	}
	if v == nil {
		switch {
		case f.nullable && f.kind == textField:
			// dd-import sends {"branch_tag": null} when it has none.
			return "", ""
		case f.nullable:
			return nil, ""
		}
		return nil, msgNull
	}
	if s, ok := v.(string); ok {
		if msg := input.TextProblem(s); msg != "" {
			return nil, msg
		}
		// A form cannot send null: an empty value of a nullable field is.
		if s == "" && f.nullable && f.kind != textField {
			return nil, ""
		}
	}
	switch f.kind {
	case textField, passwordField:
		s, ok := text(v)
		switch {
		case !ok:
			return nil, "Not a valid string."
		case s == "" && f.required:
			return nil, msgBlank
		case f.maxLen > 0 && utf8.RuneCountInString(s) > f.maxLen:
			return nil, fmt.Sprintf("Ensure this field has no more than %d characters.", f.maxLen)
		}
		return s, ""
	case intField, refField:
		return integer(f, v)
	case boolField:
		b, ok := ParseBool(v)
		if !ok {
			return nil, msgBool
		}
		return b, ""
	case dateField:
		s, _ := v.(string)
		d, err := time.Parse(time.DateOnly, strings.TrimSpace(s))
		if err != nil {
			// A full timestamp is read as its date.
			t, terr := time.Parse(time.RFC3339Nano, strings.TrimSpace(s))
			if terr != nil {
				return nil, msgDate
			}
			d = t.UTC().Truncate(24 * time.Hour)
		}
		return d, ""
	case dateTimeField:
		s, _ := v.(string)
		s = strings.TrimSpace(s)
		if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
			return t, ""
		}
		for _, layout := range []string{"2006-01-02T15:04:05.999999", "2006-01-02T15:04", "2006-01-02 15:04:05", time.DateOnly} {
			if t, err := time.ParseInLocation(layout, s, time.UTC); err == nil {
				return t, ""
			}
		}
		return nil, msgDateTime
	case choiceField:
		s, _ := text(v)
		if !slices.Contains(f.choices, s) {
			return nil, fmt.Sprintf("%q is not a valid choice.", s)
		}
		return s, ""
	case tagsField:
		return tags(v)
	}
	return nil, "not writable"
}

// text reads a string; numbers are written out, as DRF's CharField does.
func text(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case json.Number:
		return x.String(), true
	}
	return "", false
}

func integer(f field, v any) (any, string) {
	var raw string
	switch x := v.(type) {
	case json.Number:
		raw = x.String()
	case string:
		raw = strings.TrimSpace(x)
	default:
		if f.kind == refField {
			return nil, fmt.Sprintf("Incorrect type. Expected pk value, received %s.", pyType(v))
		}
		return nil, input.NotInteger
	}
	n, err := strconv.ParseInt(raw, 10, 64)
	if err != nil {
		if fl, ferr := strconv.ParseFloat(raw, 64); ferr == nil && fl == math.Trunc(fl) {
			n, err = int64(fl), nil
		}
	}
	switch {
	case err != nil && f.kind == refField:
		return nil, fmt.Sprintf("Incorrect type. Expected pk value, received %s.", pyType(v))
	case err != nil:
		return nil, input.NotInteger
	case f.kind == refField && (n < 1 || n > input.MaxID):
		return nil, fmt.Sprintf("Invalid pk %q - object does not exist.", raw)
	case n < math.MinInt32 || n > math.MaxInt32:
		return nil, fmt.Sprintf("Ensure this value is less than or equal to %d.", math.MaxInt32)
	}
	return int(n), ""
}

// tags reads a list of strings, or one string of comma-separated tags.
func tags(v any) (any, string) {
	var list []string
	switch x := v.(type) {
	case []string:
		for _, s := range x {
			list = append(list, SplitTags(s)...)
		}
	case string:
		list = SplitTags(x)
	case []any:
		for _, item := range x {
			s, ok := item.(string)
			if !ok {
				return nil, "Not a valid string."
			}
			list = append(list, SplitTags(s)...)
		}
	default:
		return nil, fmt.Sprintf(msgTags, pyType(v))
	}
	for _, t := range list {
		if msg := input.TextProblem(t); msg != "" {
			return nil, msg
		}
	}
	if list == nil {
		list = []string{}
	}
	return list, ""
}

// SplitTags reads one text of tags as DefectDojo's tag library does:
// separated by commas when it has any ("a, b c" is "a" and "b c"), else
// by spaces ("ci secrets" is two tags, as go-defectdojo sends them).
func SplitTags(s string) []string {
	sep := strings.Fields
	if strings.Contains(s, ",") {
		sep = func(s string) []string { return strings.Split(s, ",") }
	}
	var out []string
	for _, t := range sep(s) {
		if t = strings.TrimSpace(t); t != "" {
			out = append(out, t)
		}
	}
	return out
}

// pyType names a JSON value's type as Python would, for DRF's messages.
func pyType(v any) string {
	switch v.(type) {
	case bool:
		return "bool"
	case json.Number:
		return "int"
	case string:
		return "str"
	case []any:
		return "list"
	case map[string]any:
		return "dict"
	}
	return "NoneType"
}
