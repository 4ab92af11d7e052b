//go:build !unix

package sdk

// probeWritable cannot ask without writing on this platform; Start still
// finds out, and turns telemetry off for the process, when a write fails.
func probeWritable(string) error { return nil }

// diskFull is never known without a write on this platform.
func diskFull(error) bool { return false }
