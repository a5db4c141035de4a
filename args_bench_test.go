package toolaudit

import (
	"testing"

	"github.com/toolaudit/toolaudit/internal/redact"
)

// BenchmarkAppendArgs encodes a typical argument map with the default
// credential redaction; the baseline encodes it without redaction.
func BenchmarkAppendArgs(b *testing.B) {
	args := map[string]any{"query": "opening hours of the café near the station", "limit": 10}
	for _, c := range []struct {
		name string
		ae   argEncoder
	}{{"ours", argEncoder{limit: defaultArgLimit, red: redact.New(redact.DefaultKeys, nil)}}, {"baseline", argEncoder{limit: defaultArgLimit}}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			buf := make([]byte, 0, 1024)
			for b.Loop() {
				buf = c.ae.appendValue(buf[:0], args, 0)
			}
		})
	}
}
