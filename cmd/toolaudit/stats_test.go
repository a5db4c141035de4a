package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/toolaudit/toolaudit/record"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestStatsWithoutDurations summarises lines without duration_ms, as the
// reference module writes them: no duration is shown as "-", not 0, and
// such lines are left out of the percentiles of a tool that has others.
func TestStatsWithoutDurations(t *testing.T) {
	root := tree(t,
		entry("ref", "search", record.StatusOK, time.Hour, -1),
		entry("ref", "search", record.StatusOK, 50*time.Minute, -1),
		entry("ref", "mixed", record.StatusOK, 40*time.Minute, -1),
		entry("ref", "mixed", record.StatusOK, 30*time.Minute, -1),
		entry("ref", "mixed", record.StatusOK, 20*time.Minute, 20),
	)
	r := runCmd(t, true, nil, "--root", root, "stats", "--no-color")
	require.Equal(t, 0, r.code, r.stderr)
	var search, mixed string
	for l := range strings.SplitSeq(r.stdout, "\n") {
		switch strings.Fields(l + " x")[0] {
		case "search":
			search = l
		case "mixed":
			mixed = l
		}
	}
	assert.Equal(t, []string{"search", "2", "0", "0", "-", "-", "-"}, strings.Fields(search))
	assert.Equal(t, []string{"mixed", "3", "0", "0", "20.0", "20.0", "20.0"}, strings.Fields(mixed))
	assert.NotContains(t, r.stdout, "0.000")

	r = runCmd(t, false, nil, "--root", root, "stats", "-o", "csv")
	assert.Contains(t, r.stdout, "\nsearch,2,0,0,,,\n", "no duration: an empty cell")
	r = runCmd(t, false, nil, "--root", root, "stats", "-o", "json")
	var s struct{ Tools []map[string]any }
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &s))
	require.Len(t, s.Tools, 2)
	assert.Equal(t, map[string]any{"tool": "mixed", "calls": 3.0, "errors": 0.0, "denied": 0.0, "p50_ms": 20.0, "p95_ms": 20.0, "max_ms": 20.0}, s.Tools[0])
	assert.Equal(t, map[string]any{"tool": "search", "calls": 2.0, "errors": 0.0, "denied": 0.0, "p50_ms": nil, "p95_ms": nil, "max_ms": nil}, s.Tools[1], "no duration: null")
}
