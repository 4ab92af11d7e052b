// Package collectorconfig holds Waymark's stock OpenTelemetry Collector: the builder manifest
// (builder-config.yaml), the ingest configuration (ingest.yaml), the optional VictoriaMetrics
// pipeline (victoriametrics.yaml), the scripts that build the collector and install the
// backend, and the end-to-end tests that run the real collector binary against hostile and
// ordinary traffic. It has no Go API; see README.md.
package collectorconfig
