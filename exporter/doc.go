// Package exporter describes Waymark's private OpenTelemetry pipeline, the
// road from an event to the collector: the allowlisted resource, events
// through an sdk/log LoggerProvider and three delta metrics (kept by a small
// accumulator in OTel's metricdata types, not sdk/metric, whose start-up cost
// a CLI cannot afford), the hand-written OTLP protobuf encoding, the durable
// bounded spool, the OTLP/HTTP sender with backoff, and the detached
// uploader. The mechanics live under internal/ and are reached only through
// package sdk, which applies the user's opt-outs first; this package exports
// what a vendor may safely use: the names on the wire, the endpoint rule,
// and read-only views of what is pending.
//
// The pipeline never touches the host's OpenTelemetry: no OTEL_* variable
// changes what it sends, no global provider or error handler is read or set,
// no trace id from the host's context is recorded, and no error is returned
// into the OTel SDK (which would print it). It never prints and never panics
// on bad input from the disk or the network.
package exporter
