package bench

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// clockTicks is the unit of /proc/<pid>/stat's CPU times (USER_HZ, 100 on
// Linux for x86 and arm).
const clockTicks = 100

// cpuTime is the CPU time, user and system, used so far by the running
// processes whose command name is one of names (all PostgreSQL backends
// for "postgres", say).
func cpuTime(names ...string) time.Duration {
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	var ticks int64
	for _, path := range stats {
		raw, err := os.ReadFile(path)
		if err != nil {
			continue // ended meanwhile
		}
		open, end := bytes.IndexByte(raw, '('), bytes.LastIndexByte(raw, ')')
		if open < 0 || end < open {
			continue
		}
		if !matches(string(raw[open+1:end]), names) {
			continue
		}
		// After the name: state, ppid, …; utime and stime are fields 14
		// and 15 of the line, the 12th and 13th after the name.
		fields := bytes.Fields(raw[end+1:])
		if len(fields) < 13 {
			continue
		}
		user, _ := strconv.ParseInt(string(fields[11]), 10, 64)
		system, _ := strconv.ParseInt(string(fields[12]), 10, 64)
		ticks += user + system
	}
	return time.Duration(ticks) * time.Second / clockTicks
}

func matches(name string, names []string) bool {
	for _, n := range names {
		if name == n {
			return true
		}
	}
	return false
}
