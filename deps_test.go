package toolaudit_test

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// deps lists the packages pkgs link.
func deps(t *testing.T, pkgs ...string) []string {
	t.Helper()
	out, err := exec.Command("go", append([]string{"list", "-deps"}, pkgs...)...).CombinedOutput()
	require.NoError(t, err, "go list: %s", out)
	return strings.Fields(string(out))
}

// TestAuditPathLinksNoGRPC keeps wrapping tools, writing, reading and
// shipping audit files and the provider wiring free of gRPC, protobuf, the
// Prometheus client and the AWS SDK: only package otlp may bring gRPC,
// only otlp and otelx/prom protobuf and the Prometheus client, only the
// module s3ship the AWS SDK.
func TestAuditPathLinksNoGRPC(t *testing.T) {
	pkgs := []string{".", "./record", "./exporter", "./reader", "./otelx", "./audittest", "./ship"}
	for _, dep := range deps(t, pkgs...) {
		if strings.HasPrefix(dep, "google.golang.org/grpc") || strings.HasPrefix(dep, "google.golang.org/protobuf") ||
			strings.HasPrefix(dep, "github.com/prometheus/") || strings.HasPrefix(dep, "github.com/aws/") {
			t.Errorf("%s is linked by %v: only packages otlp, otelx/prom and the module s3ship may bring it", dep, pkgs)
		}
	}
	for _, dep := range deps(t, "./otelx/prom") {
		if strings.HasPrefix(dep, "google.golang.org/grpc") {
			t.Errorf("%s is linked by otelx/prom: only package otlp may bring it", dep)
		}
	}
	require.Contains(t, deps(t, "./otlp"), "google.golang.org/grpc", "the check looks for the right path")
	require.Contains(t, deps(t, "./otelx/prom"), "github.com/prometheus/client_golang/prometheus", "the check looks for the right path")
}
