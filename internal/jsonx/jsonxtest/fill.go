// Package jsonxtest helps tests prove that jsonx.Unmarshal reads back every
// field of a file format that encoding/json writes.
package jsonxtest

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/waymarkhq/waymark/internal/jsonx"
)

// RoundTrip sets every exported field of a T (recursively) to a value that
// is not its zero value, writes it with encoding/json and reads it back
// with jsonx.Unmarshal; the test fails unless the result equals the
// original. A field added later with a kind jsonx cannot read makes it fail.
func RoundTrip[T any](t *testing.T) {
	t.Helper()
	var want T
	fill(reflect.ValueOf(&want).Elem(), 1)
	data, err := json.Marshal(want)
	if err != nil {
		t.Fatalf("encoding/json: %v", err)
	}
	var got T
	if err := jsonx.Unmarshal(data, &got); err != nil {
		t.Fatalf("jsonx.Unmarshal(%s): %v", data, err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("jsonx.Unmarshal(%s)\n got %#v\nwant %#v", data, got, want)
	}
}

func fill(v reflect.Value, n int) {
	switch {
	case v.Type() == reflect.TypeFor[time.Time]():
		v.Set(reflect.ValueOf(time.Date(2026, 11, 23, 10, 4, 5, 123456789, time.UTC).Add(time.Duration(n) * time.Hour)))
		return
	case v.Type() == reflect.TypeFor[json.RawMessage]():
		v.SetBytes([]byte(`{"k":[1,"x",null]}`))
		return
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString("v\u00e9\"" + string(rune('a'+n%26)))
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(int64(n + 6))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(uint64(n + 7))
	case reflect.Float32, reflect.Float64:
		v.SetFloat(float64(n) + 0.5)
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fill(v.Elem(), n+1)
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 2, 2))
		fill(v.Index(0), n+1)
		fill(v.Index(1), n+2)
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		for i := range 2 {
			k := reflect.New(v.Type().Key()).Elem()
			k.SetString("key" + string(rune('a'+i)))
			e := reflect.New(v.Type().Elem()).Elem()
			fill(e, n+i+1)
			m.SetMapIndex(k, e)
		}
		v.Set(m)
	case reflect.Interface:
		v.Set(reflect.ValueOf("any" + string(rune('a'+n%26))))
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fill(v.Field(i), n+i+1)
			}
		}
	}
}
