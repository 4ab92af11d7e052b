package otlpwire

import (
	"math"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/instrumentation"
)

// Field numbers from opentelemetry/proto/common/v1/common.proto and
// resource/v1/resource.proto.
const (
	anyValueString = 1
	anyValueBool   = 2
	anyValueInt    = 3
	anyValueDouble = 4
	anyValueArray  = 5
	anyValueKvlist = 6
	anyValueBytes  = 7

	arrayValueValues   = 1
	keyValueListValues = 1

	keyValueKey   = 1
	keyValueValue = 2

	scopeName       = 1
	scopeVersion    = 2
	scopeAttributes = 3

	resourceAttributes = 1
)

// appendAnyValue appends v as an AnyValue message in field num. An EMPTY
// value is an AnyValue with no member set, as OTLP defines the empty value.
func appendAnyValue(b []byte, num int, v attribute.Value) []byte {
	b, start := openField(b, num)
	b = appendAnyValueContent(b, v)
	return closeField(b, start)
}

func appendAnyValueContent(b []byte, v attribute.Value) []byte {
	switch v.Type() {
	case attribute.BOOL:
		var x uint64
		if v.AsBool() {
			x = 1
		}
		return appendVarint(appendTag(b, anyValueBool, wireVarint), x)
	case attribute.INT64:
		return appendVarint(appendTag(b, anyValueInt, wireVarint), uint64(v.AsInt64()))
	case attribute.FLOAT64:
		return appendFixed64(appendTag(b, anyValueDouble, wireFixed64), math.Float64bits(v.AsFloat64()))
	case attribute.STRING:
		return appendString(b, anyValueString, v.AsString())
	case attribute.BYTESLICE:
		return appendBytes(b, anyValueBytes, v.AsByteSlice())
	case attribute.BOOLSLICE:
		return appendArray(b, v.AsBoolSlice(), attribute.BoolValue)
	case attribute.INT64SLICE:
		return appendArray(b, v.AsInt64Slice(), attribute.Int64Value)
	case attribute.FLOAT64SLICE:
		return appendArray(b, v.AsFloat64Slice(), attribute.Float64Value)
	case attribute.STRINGSLICE:
		return appendArray(b, v.AsStringSlice(), attribute.StringValue)
	case attribute.SLICE:
		return appendArray(b, v.AsSlice(), func(x attribute.Value) attribute.Value { return x })
	case attribute.MAP:
		b, start := openField(b, anyValueKvlist)
		for _, kv := range v.AsMap() {
			b = appendKeyValue(b, keyValueListValues, kv)
		}
		return closeField(b, start)
	}
	return b // EMPTY, or a type this package does not know: the empty value.
}

// appendKeyValue appends kv as a KeyValue message in field num.
func appendKeyValue(b []byte, num int, kv attribute.KeyValue) []byte {
	b, start := openField(b, num)
	b = appendStringField(b, keyValueKey, string(kv.Key))
	b = appendAnyValue(b, keyValueValue, kv.Value)
	return closeField(b, start)
}

// appendAttributeSet appends every attribute of s as repeated KeyValue
// field num.
func appendAttributeSet(b []byte, num int, s *attribute.Set) []byte {
	it := s.Iter()
	for it.Next() {
		b = appendKeyValue(b, num, it.Attribute())
	}
	return b
}

// appendResource appends a Resource message with exactly attrs in field num.
func appendResource(b []byte, num int, attrs []attribute.KeyValue) []byte {
	b, start := openField(b, num)
	for _, kv := range attrs {
		b = appendKeyValue(b, resourceAttributes, kv)
	}
	return closeField(b, start)
}

// appendScope appends an InstrumentationScope message in field num.
func appendScope(b []byte, num int, s *instrumentation.Scope) []byte {
	b, start := openField(b, num)
	b = appendStringField(b, scopeName, s.Name)
	b = appendStringField(b, scopeVersion, s.Version)
	b = appendAttributeSet(b, scopeAttributes, &s.Attributes)
	return closeField(b, start)
}

// appendArray appends an ArrayValue field holding xs, each made a Value by conv.
func appendArray[T any](b []byte, xs []T, conv func(T) attribute.Value) []byte {
	b, start := openField(b, anyValueArray)
	for _, x := range xs {
		b = appendAnyValue(b, arrayValueValues, conv(x))
	}
	return closeField(b, start)
}
