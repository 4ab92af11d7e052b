// Package otlpwire encodes the few OTLP protobuf messages Waymark sends —
// LogsData and MetricsData, which are wire-identical to the OTLP/HTTP export
// requests — directly from the OpenTelemetry SDK's record and metric types.
//
// It owns the byte layout of those messages and nothing else: no I/O, no
// compression, no HTTP. It never depends on google.golang.org/protobuf or the
// generated go.opentelemetry.io/proto/otlp packages (their descriptor
// registration costs every run of the host program start-up time and binary
// size; see bench/README.md), and it does no work at package init. The encoding is
// proved against the official definitions in the package's tests.
//
// It never encodes a log record's trace id, span id or trace flags, so the
// host program's trace context cannot leak, and it never encodes a record's
// or a ResourceMetrics' own resource: the caller passes the exact resource
// attributes to send.
//
// Output follows proto3 rules (zero-valued scalar fields are omitted; oneof
// members and optional fields are written when set), in the field order
// google.golang.org/protobuf uses: the tests check that the bytes equal its
// deterministic encoding of the same message. It is valid protobuf for any
// input: in strings that are not valid UTF-8 each run of invalid bytes is
// replaced by U+FFFD (as strings.ToValidUTF8 does), because one invalid
// string would make a collector reject the whole request. Outputs may be
// concatenated: two AppendLogsData outputs decode as one request with two
// ResourceLogs.
//
// It also decodes the LogsData subset back (DecodeLogsData), bounded and
// never panicking, so that `telemetry show` lists exactly what was sent.
package otlpwire
