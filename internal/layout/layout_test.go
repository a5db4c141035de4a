package layout

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestValidateUser(t *testing.T) {
	for _, ok := range []string{"alice", "a", "A-b_c.d", "0", strings.Repeat("x", 64), Unattributed} {
		assert.NoError(t, ValidateUser(ok), ok)
	}
	bad := map[string]string{
		"":                      "empty",
		".":                     "starts with '.'",
		"..":                    "starts with '.'",
		".hidden":               "starts with '.'",
		"a/b":                   `character '/' at byte 1`,
		`a\b`:                   `character '\\' at byte 1`,
		"é":                     "character",
		"a b":                   "character ' '",
		"a\x00":                 "character '\\x00'",
		strings.Repeat("x", 65): "65 bytes long",
		"@other":                "character '@'",
	}
	for in, msg := range bad {
		err := ValidateUser(in)
		require.ErrorIs(t, err, ErrInvalidUser, in)
		assert.Contains(t, err.Error(), msg, in)
	}
}

func TestParseDay(t *testing.T) {
	d, err := ParseDay("2024-02-29", time.UTC)
	require.NoError(t, err)
	assert.Equal(t, time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC), d)
	for _, in := range []string{"2023-02-29", "2026-13-01", "2026-1-01", "20261127", "2026-11-27/../x", "", "2026-11-27 "} {
		_, err := ParseDay(in, time.UTC)
		assert.ErrorIs(t, err, ErrInvalidDay, in)
	}
}

func TestDayFile(t *testing.T) {
	assert.Equal(t, "bob/tool_audit/2026-11-27.jsonl", DayFile("bob", time.Date(2026, 11, 27, 23, 59, 0, 0, time.UTC)))
}
