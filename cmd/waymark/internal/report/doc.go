// Package report turns what Waymark's stock collector stored into the numbers a vendor acts on:
// active installs, trends per day, version adoption, retention cohorts, an ordered funnel,
// versions, platforms, live servers and error reports, one section per product.
//
// A Source computes the aggregates (Files reads the collector's file-exporter output;
// VictoriaLogs asks the VictoriaLogs that the collector also feeds, with LogsQL stats queries);
// Build turns them into the Report, whose JSON form is model.go, the same whatever the source. WriteText, WriteHTML and WriteCSV show a Report.
//
// Files streams: it reads one line at a time with a scanner written for the OTLP JSON that
// the collector writes (no reflection), keeps per install only what the outputs need (so memory
// grows with installs and sessions, not events), skips metrics lines by their first bytes and
// does not open rotated files named before anything the report needs. It reads on every core:
// files, and large files in pieces split at newlines, go to GOMAXPROCS workers, each with its
// own per-install state, merged at the end into what one core would have found (the state does
// not depend on the order of events). A request cut short by a collector killed mid-write, with
// the next request appended to the same line, costs only itself: the reading goes on from the
// next request's start. Every count is of distinct installs, sessions or event ids, so an event
// stored twice (a client's retry after a lost answer) counts once. It leaves out, with a
// warning, any record the collector's schema would have dropped (ids that are not UUIDs,
// platforms outside Go's lists, oversized versions, values nested too deep), one record at a
// time, so a bad record never hides the others of its line. It uses only the standard library
// and never touches the network.
//
// Counting rules shared by every source are on Query, Windows and Aggregates: the range is
// made of whole UTC calendar days; an install is new on the day of its first event since
// Windows.History (FirstSeenLookback before the previous period); heartbeat intervals are
// capped at MaxHeartbeatInterval.
package report
