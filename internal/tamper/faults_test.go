package tamper_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/toolaudit/toolaudit/internal/tamper"
)

// TestForgedCheckpointNamesTheFirstLineItClaims: a checkpoint that fails
// is reported at the first line it covers beyond the one before, not at
// the line count it claims.
func TestForgedCheckpointNamesTheFirstLineItClaims(t *testing.T) {
	root := writeTree(t)
	priv, pub := newKey(t)
	seal(t, root, priv)
	cp := filepath.Join(tamper.CheckpointDir(root), "bob", "2026-11-26.jsonl")
	data, err := os.ReadFile(cp)
	require.NoError(t, err)
	forged := strings.Replace(string(data), `"lines":120,`, `"lines":99999,`, 1)
	require.NotEqual(t, string(data), forged)
	f, err := os.OpenFile(cp, os.O_WRONLY|os.O_APPEND, 0)
	require.NoError(t, err)
	_, err = f.WriteString(forged)
	require.NoError(t, err)
	require.NoError(t, f.Close())

	v := verdicts(t, tamper.Config{Root: root, PublicKey: pub})
	assert.Equal(t, "tampered 121", v["bob 2026-11-26"])

	// The first checkpoint forged: line 1.
	require.NoError(t, os.WriteFile(cp, []byte(forged), 0o644))
	v = verdicts(t, tamper.Config{Root: root, PublicKey: pub})
	assert.Equal(t, "tampered 1", v["bob 2026-11-26"])
}
