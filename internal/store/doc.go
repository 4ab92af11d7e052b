// Package store keeps an installation's own records in the state directory:
// the anonymous installation id (device_id), the once-per-installation
// milestones (milestones.json), the saved telemetry mode, the first-run
// notice marker and interval tickets (usage ping, update check). Every write
// is atomic and every read-modify-write happens under the state dir's lock
// with a bounded wait, so concurrent runs of the host never double-count a
// milestone or end up with different ids.
//
// Every file access goes through package statedir, which refuses symlinks,
// FIFOs, devices and other users' files. It never decides whether telemetry
// is on (package gate does), never spools events (the caller queues an event
// inside the callback given to [Store.Record]), and never panics on what it
// finds on disk: a missing, truncated or garbage file is reported and
// recovered from. Constructing a [Store] and every read-only method create
// nothing, so telemetry that is off writes nothing.
package store
