// Package report turns what Waymark's stock collector stored into the numbers a vendor acts on:
// active installs, the milestone funnel, versions, platforms and live servers.
//
// It reads the file exporter's OTLP JSON lines (one ExportLogsServiceRequest or
// ExportMetricsServiceRequest per line, rotated files included), keeps Waymark's events
// (log records named waymark.*), counts each event.id once, and summarises them as of a given
// time. Input it cannot use is skipped and reported through a warning callback with the file
// and line; it never stops a report. It uses only the standard library and never touches the
// network.
package report
