package otlpwire

import (
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/instrumentation"
	sdklog "go.opentelemetry.io/otel/sdk/log"
)

// Field numbers from opentelemetry/proto/logs/v1/logs.proto.
const (
	logsDataResourceLogs = 1

	resourceLogsResource  = 1
	resourceLogsScopeLogs = 2

	scopeLogsScope      = 1
	scopeLogsLogRecords = 2
	scopeLogsSchemaURL  = 3

	logRecordTime                   = 1
	logRecordSeverityNumber         = 2
	logRecordSeverityText           = 3
	logRecordBody                   = 5
	logRecordAttributes             = 6
	logRecordDroppedAttributesCount = 7
	logRecordObservedTime           = 11
	logRecordEventName              = 12
	// Not encoded, ever: flags = 8, trace_id = 9, span_id = 10.
)

// AppendLogsData appends to dst one encoded LogsData message, which is
// wire-identical to an ExportLogsServiceRequest, and returns the extended
// slice. The message holds one ResourceLogs whose resource has exactly the
// attributes res, in that order, with one ScopeLogs for scope holding one
// LogRecord per record of recs, in order.
//
// Each LogRecord carries the record's timestamp, observed timestamp,
// severity number and text, body, attributes, dropped attributes count and
// event name. The record's trace id, span id, trace flags, resource and
// instrumentation scope are never encoded.
func AppendLogsData(dst []byte, res []attribute.KeyValue, scope instrumentation.Scope, recs []sdklog.Record) []byte {
	dst, rl := openField(dst, logsDataResourceLogs)
	dst = appendResource(dst, resourceLogsResource, res)
	dst, sl := openField(dst, resourceLogsScopeLogs)
	dst = appendScope(dst, scopeLogsScope, &scope)
	for i := range recs {
		dst = appendLogRecord(dst, scopeLogsLogRecords, &recs[i])
	}
	dst = appendStringField(dst, scopeLogsSchemaURL, scope.SchemaURL)
	dst = closeField(dst, sl)
	return closeField(dst, rl)
}

func appendLogRecord(b []byte, num int, r *sdklog.Record) []byte {
	b, start := openField(b, num)
	b = appendFixed64Field(b, logRecordTime, unixNano(r.Timestamp()))
	// severity_number is an int32 enum: negative values take ten bytes.
	b = appendVarintField(b, logRecordSeverityNumber, uint64(int64(int32(r.Severity()))))
	b = appendStringField(b, logRecordSeverityText, r.SeverityText())
	if body := r.Body(); body.Type() != attribute.EMPTY {
		b = appendAnyValue(b, logRecordBody, body)
	}
	r.WalkAttributes(func(kv attribute.KeyValue) bool {
		b = appendKeyValue(b, logRecordAttributes, kv)
		return true
	})
	b = appendVarintField(b, logRecordDroppedAttributesCount, uint64(uint32(r.DroppedAttributes())))
	b = appendFixed64Field(b, logRecordObservedTime, unixNano(r.ObservedTimestamp()))
	b = appendStringField(b, logRecordEventName, r.EventName())
	return closeField(b, start)
}
