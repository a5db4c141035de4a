package s3ship_test

import (
	"context"
	"log"
	"time"

	"github.com/toolaudit/toolaudit"
	"github.com/toolaudit/toolaudit/exporter"
	"github.com/toolaudit/toolaudit/otelx"
	"github.com/toolaudit/toolaudit/s3ship"
	"github.com/toolaudit/toolaudit/ship"
)

// In process: the exporter writes the day files, the shipper uploads them
// every 30 s, and the provider's Shutdown ships what is left.
func Example() {
	ctx := context.Background()
	audit, err := exporter.New("/var/lib/agent/audit")
	if err != nil {
		log.Fatal(err)
	}
	// AWS_ENDPOINT_URL_S3, AWS_REGION and the credential chain configure it.
	store, err := s3ship.New(ctx, "s3://audit-bucket/prod")
	if err != nil {
		log.Fatal(err)
	}
	shipper, err := ship.Start(ctx, "/var/lib/agent/audit", store, ship.WithRetention(90*24*time.Hour))
	if err != nil {
		log.Fatal(err)
	}
	tp, err := otelx.NewTracerProvider(ship.WithExporter(audit, shipper))
	if err != nil {
		log.Fatal(err)
	}
	defer tp.Shutdown(ctx)
	mw := toolaudit.New(toolaudit.WithTracerProvider(tp))
	_ = mw // wrap the agent's tools with mw
}
