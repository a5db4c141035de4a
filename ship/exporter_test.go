package ship_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/toolaudit/toolaudit"
	"github.com/toolaudit/toolaudit/exporter"
	"github.com/toolaudit/toolaudit/otelx"
	"github.com/toolaudit/toolaudit/ship"
)

// In process: the exporter writes the day files, the shipper ships them,
// and the provider's ForceFlush and Shutdown drive both.
func TestWithExporterInProcess(t *testing.T) {
	root, st := t.TempDir(), newMemStore()
	ctx := context.Background()
	audit, err := exporter.New(root, exporter.WithLocation(time.UTC))
	require.NoError(t, err)
	s, err := ship.Start(ctx, root, st, ship.WithInterval(time.Hour), ship.WithHost("h1"))
	require.NoError(t, err)
	tp, err := otelx.NewTracerProvider(ship.WithExporter(audit, s))
	require.NoError(t, err)
	search := toolaudit.New(toolaudit.WithTracerProvider(tp)).Wrap("search", func(context.Context, map[string]any) (string, error) {
		return "ok", nil
	})
	alice := toolaudit.ContextWithUser(ctx, "alice")
	_, err = search(alice, map[string]any{"q": "one"})
	require.NoError(t, err)
	require.NoError(t, tp.ForceFlush(ctx))
	require.Len(t, st.objs, 1, "ForceFlush ships")
	day := strings.Split(keys(st)[0], "/")[2] // the day of the call, by the exporter's clock
	assert.Equal(t, int64(1), s.Health().ShippedLines)

	_, err = search(alice, map[string]any{"q": "two"})
	require.NoError(t, err)
	require.NoError(t, tp.Shutdown(ctx))
	got := st.concat()["alice/tool_audit/"+day+"/h1"]
	assert.Equal(t, readLocal(t, root, "alice", day), got, "Shutdown ships what is left")
	assert.Equal(t, 2, strings.Count(got, "\n"))
	s2, err := ship.Start(ctx, root, st)
	require.NoError(t, err, "Shutdown released the root")
	require.NoError(t, s2.Close(ctx))
}
