package export

import (
	"context"
	"os"

	"go.opentelemetry.io/otel/sdk/resource"
)

// EnvHazard reports why the OTel SDK would write to the process's standard
// error if Waymark built its pipeline in this process: a malformed
// OTEL_RESOURCE_ATTRIBUTES or OTEL_SERVICE_NAME goes to the global error
// handler, which prints, when sdk/log builds its default resource (which
// Waymark never sends). It returns "" when building is safe; callers turn
// telemetry off for the process when it is not. The OTel SDK reads those
// variables itself, so they cannot be passed in.
func EnvHazard() string {
	// Those two variables are all the detector reads: without them there is
	// nothing to parse, and a first run need not build a resource to see so.
	if os.Getenv("OTEL_RESOURCE_ATTRIBUTES") == "" && os.Getenv("OTEL_SERVICE_NAME") == "" {
		return ""
	}
	if _, err := resource.New(context.Background(), resource.WithFromEnv()); err != nil {
		return "OTEL_RESOURCE_ATTRIBUTES or OTEL_SERVICE_NAME is malformed; the OTel SDK would print an error"
	}
	return ""
}
