// Package exporter owns Waymark's private OpenTelemetry pipeline and the road
// from an event to the collector: the allowlisted resource, events (sdk/log)
// and delta metrics (sdk/metric) ending in Waymark's own exporters, the
// hand-written OTLP protobuf encoding (internal/otlpwire), the durable
// bounded spool, the OTLP/HTTP sender, backoff, the uploader and detaching it
// from the host process.
//
// It never touches the host's OpenTelemetry: no OTEL_* variable changes what
// it sends, no global provider or error handler is read or set, no trace id
// from the host's context is recorded, and no error is returned into the OTel
// SDK (which would print it). It never prints and never panics on bad input
// from the disk or the network.
package exporter
