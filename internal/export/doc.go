// Package export is the machinery behind package exporter: Waymark's private
// OpenTelemetry pipeline (an sdk/log LoggerProvider whose processor hands
// each record to Waymark's own exporter, and three delta metrics kept in
// OTel's metricdata types), the durable bounded spool in the state dir, the
// OTLP/HTTP sender with its own transport, backoff, the uploader, the
// bounded ledger of events the collector accepted (for `telemetry show`),
// and starting the uploader detached from the host.
//
// Only package sdk uses it, after the user's opt-outs were applied: nothing
// here decides whether telemetry may run. It reaches the disk only through
// package statedir. It never touches the host's OpenTelemetry (no OTEL_*
// variable, global provider, error handler or trace context), never prints,
// and never panics on bad input from the disk or the network.
package export
