// Package dates reads the dates reports write, in the forms DefectDojo's
// parsers accept through dateutil: ISO 8601 with or without a time,
// fraction and zone ("2016-11-05T14:52:15.748-0400"), and the numeric
// forms of CSV exports ("11/7/16", "28/02/2021": month first unless the
// first number cannot be a month).
package dates

import (
	"strconv"
	"strings"
	"time"
)

var layouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999Z0700",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999Z0700",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04Z07:00",
	"2006-01-02",
	time.RFC1123Z,
	time.RFC1123,
	"Mon, 2 Jan 2006 15:04:05",
	"Jan 2, 2006",
	"2 Jan 2006",
}

// Parse reads s; a date without a zone is taken as UTC.
func Parse(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, false
	}
	for _, layout := range layouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return slashed(s)
}

// slashed reads "M/D/Y" or, when M cannot be a month, "D/M/Y", the year of
// two or four digits, and an optional time after a space.
func slashed(s string) (time.Time, bool) {
	date, clock, _ := strings.Cut(s, " ")
	parts := strings.Split(date, "/")
	if len(parts) != 3 {
		return time.Time{}, false
	}
	var n [3]int
	for i, p := range parts {
		v, err := strconv.Atoi(p)
		if err != nil || v < 0 || len(p) > 4 {
			return time.Time{}, false
		}
		n[i] = v
	}
	month, day, year := n[0], n[1], n[2]
	if month > 12 {
		month, day = day, month
	}
	if len(parts[2]) <= 2 {
		year += 2000
		if year > time.Now().Year()+49 {
			year -= 100
		}
	}
	t := time.Date(year, time.Month(month), day, 0, 0, 0, 0, time.UTC)
	if month < 1 || month > 12 || t.Day() != day {
		return time.Time{}, false
	}
	if clock != "" {
		c, err := time.Parse("15:04:05", clock)
		if err != nil {
			if c, err = time.Parse("15:04", clock); err != nil {
				return time.Time{}, false
			}
		}
		t = t.Add(time.Duration(c.Hour())*time.Hour + time.Duration(c.Minute())*time.Minute + time.Duration(c.Second())*time.Second)
	}
	return t, true
}
