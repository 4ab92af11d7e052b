// Package version holds Waymark's own version, the one value both the sdk
// (telemetry.sdk.version) and the exporter (User-Agent) must agree on.
package version

// Version is the version of Waymark.
const Version = "0.2.0"
