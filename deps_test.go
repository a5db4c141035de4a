package toolaudit_test

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestAuditPathLinksNoGRPC keeps wrapping tools, writing, reading and
// shipping audit files and the provider wiring free of gRPC and protobuf
// (only package otlp may bring them) and of the AWS SDK (only the module
// s3ship may).
func TestAuditPathLinksNoGRPC(t *testing.T) {
	pkgs := []string{".", "./record", "./exporter", "./reader", "./otelx", "./audittest", "./ship"}
	out, err := exec.Command("go", append([]string{"list", "-deps"}, pkgs...)...).CombinedOutput()
	require.NoError(t, err, "go list: %s", out)
	for _, dep := range strings.Fields(string(out)) {
		if strings.HasPrefix(dep, "google.golang.org/grpc") || strings.HasPrefix(dep, "google.golang.org/protobuf") {
			t.Errorf("%s is linked by %v: only package otlp may bring it", dep, pkgs)
		}
		if strings.HasPrefix(dep, "github.com/aws/") {
			t.Errorf("%s is linked by %v: only the module s3ship may bring the AWS SDK", dep, pkgs)
		}
	}
	out, err = exec.Command("go", "list", "-deps", "./otlp").CombinedOutput()
	require.NoError(t, err, "go list: %s", out)
	require.Contains(t, string(out), "google.golang.org/grpc\n", "the check looks for the right path")
}
