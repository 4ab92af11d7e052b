// Package e2e holds Waymark's black-box tests: they build the example
// programs acme and acme-server, run them as fresh installs with a scrubbed
// environment and a temporary HOME, and check what reaches a loopback
// OTLP/HTTP endpoint. The package has no non-test code.
package e2e
