package jsonx_test

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/waymarkhq/waymark/internal/jsonx"
	"github.com/waymarkhq/waymark/internal/jsonx/jsonxtest"
)

// The shapes of the files Waymark reads with jsonx.Unmarshal.
type ticketShape struct {
	Product       string   `json:"product"`
	AllowInsecure bool     `json:"allow_insecure,omitempty"`
	OptOutEnv     []string `json:"opt_out_env,omitempty"`
	SampleRate    float64  `json:"sample_rate,omitempty"`
}

type deliveryShape struct {
	Failures    int       `json:"failures"`
	NextAttempt time.Time `json:"next_attempt,omitzero"`
	LastError   string    `json:"last_error,omitempty"`
	Delivered   int64     `json:"delivered"`
}

type cacheShape struct {
	FetchedAt  time.Time            `json:"fetched_at,omitzero"`
	Manifest   json.RawMessage      `json:"manifest,omitempty"`
	AlertShown map[string]time.Time `json:"alert_shown,omitempty"`
}

type milestonesShape struct {
	InstallationID string                     `json:"installation_id"`
	Milestones     map[string]json.RawMessage `json:"milestones"`
}

type ledgerShape struct {
	Event      string         `json:"event"`
	Attributes map[string]any `json:"attributes"`
}

type kitchenSink struct {
	I8     int8
	I16    int16
	P      *string
	Skip   string `json:"-"`
	Nested []map[string][]int
	N      json.Number
	Any    any
	//lint:ignore U1000 an unexported field, which the decoder must leave alone as encoding/json does
	hidden int
}

func decoders() []func() any {
	return []func() any{
		func() any { return new(ticketShape) },
		func() any { return new(deliveryShape) },
		func() any { return new(cacheShape) },
		func() any { return new(milestonesShape) },
		func() any { return new(ledgerShape) },
		func() any { return new(kitchenSink) },
		func() any { return new(map[string]json.RawMessage) },
		func() any { return new([]json.RawMessage) },
		func() any { return new(string) },
		func() any { return new(any) },
	}
}

// reference decodes with encoding/json as Waymark used it: a Decoder with
// UseNumber (compare only calls it on valid input, so nothing follows the
// value).
func reference(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	return dec.Decode(v)
}

func compare(t *testing.T, data []byte) {
	t.Helper()
	if got, want := jsonx.Valid(data), json.Valid(data); got != want {
		t.Fatalf("Valid(%q) = %v, encoding/json says %v", data, got, want)
	}
	if !json.Valid(data) {
		return
	}
	for _, mk := range decoders() {
		want, got := mk(), mk()
		werr := reference(data, want)
		gerr := jsonx.Unmarshal(data, got)
		if (werr == nil) != (gerr == nil) {
			t.Fatalf("Unmarshal(%q) into %T: error %v, encoding/json's %v", data, got, gerr, werr)
		}
		if werr == nil && !reflect.DeepEqual(got, want) {
			t.Fatalf("Unmarshal(%q) into %T:\n got %#v\nwant %#v", data, got, got, want)
		}
	}
}

var seeds = []string{
	`{"product":"acme","allow_insecure":true,"opt_out_env":["A","B"]}`,
	`{"PRODUCT":"x","product":"y","unknown":{"deep":[1,2,{"a":null}]}}`,
	`{"failures":3,"next_attempt":"2026-11-23T10:00:00.5Z","last_error":"x\u00e9\ud83d\ude00","delivered":12}`,
	`{"failures":1.5}`,
	`{"failures":"3"}`,
	`{"failures":99999999999999999999}`,
	`{"next_attempt":"yesterday"}`,
	`{"next_attempt":null,"last_error":null}`,
	`{"fetched_at":"2026-01-02T03:04:05+02:00","manifest":{"latest":"1.2.3","alerts":[]},"alert_shown":{"a1":"2026-01-02T03:04:05Z"}}`,
	`{"manifest":null}`,
	`{"installation_id":"0b7c","milestones":{"first_run":"2026-11-23T10:00:00Z","x":42,"y":null}}`,
	`{"event":"usage","attributes":{"n":12345678901234567890,"f":1.5e3,"b":true,"s":"\ud800x","l":[1,{"a":[]}]}}`,
	`{"I8":127,"I16":-32768,"P":"p","Skip":"no","Nested":[{"a":[1,2]},{}],"N":12.5e-3,"Any":{"k":[true,false,null]}}`,
	`{"I8":128}`, `{"I16":-32769}`, `{"i8":1,"i16":2}`, `{"I8":1e2}`,
	`"a\"b\\c\/d\b\f\n\r\t\u0041"`, "\"\xff\xfe\"", `"\ud83d"`, `"\udc00\ud83d\ude00"`,
	`[]`, `[1,"a",null,true]`, `{}`, `null`, ` {"a":1} `, `1`, `-0`, `0.5e+10`, `true`,
}

func TestUnmarshalDecodesAsEncodingJSON(t *testing.T) {
	for _, s := range seeds {
		compare(t, []byte(s))
	}
}

func TestUnmarshalRejectsWhatEncodingJSONRejects(t *testing.T) {
	for _, s := range []string{``, `{`, `{"a"}`, `{"a":1,}`, `[1,]`, `01`, `1.`, `-`, `"\x"`, "\"a\x01\"", `{"a":1} x`, `tru`, `nul`, `[1 2]`, `{"a" 1}`, `"\u12"`} {
		var v any
		if jsonx.Valid([]byte(s)) || jsonx.Unmarshal([]byte(s), &v) == nil {
			t.Errorf("%q accepted", s)
		}
		if json.Valid([]byte(s)) {
			t.Errorf("%q: encoding/json accepts it; the test is wrong", s)
		}
	}
}

func TestUnmarshalBoundsNesting(t *testing.T) {
	deep := bytes.Repeat([]byte("["), 100000)
	var v any
	if jsonx.Unmarshal(deep, &v) == nil || jsonx.Valid(deep) {
		t.Fatal("100 000 open brackets accepted")
	}
}

func TestUnmarshalNeedsAPointer(t *testing.T) {
	var s string
	if jsonx.Unmarshal([]byte(`"a"`), s) == nil || jsonx.Unmarshal([]byte(`"a"`), (*string)(nil)) == nil {
		t.Fatal("a non-pointer or nil pointer was accepted")
	}
}

func TestUnmarshalRefusesUnsigned(t *testing.T) {
	var u uint
	if jsonx.Unmarshal([]byte(`1`), &u) == nil {
		t.Fatal("an unsigned target was filled; the documentation says it is refused")
	}
}

// Floats decode as encoding/json decodes them (the uploader ticket's sample
// rate is one), and a number out of range is refused.
func TestUnmarshalFloats(t *testing.T) {
	for _, in := range []string{`0.25`, `1`, `-0`, `1e-3`, `2.5E2`, `0.1000000000000000055511151231257827`} {
		var got, want float64
		if err := jsonx.Unmarshal([]byte(in), &got); err != nil {
			t.Errorf("%s: %v", in, err)
		}
		json.Unmarshal([]byte(in), &want)
		if got != want {
			t.Errorf("%s: %v, encoding/json gives %v", in, got, want)
		}
	}
	var f float64
	for _, in := range []string{`1e400`, `.5`, `"0.5"`, `0x1p-2`} {
		if jsonx.Unmarshal([]byte(in), &f) == nil {
			t.Errorf("%s was accepted as a float", in)
		}
	}
}

func TestRoundTripOfEveryShape(t *testing.T) {
	jsonxtest.RoundTrip[ticketShape](t)
	jsonxtest.RoundTrip[deliveryShape](t)
	jsonxtest.RoundTrip[cacheShape](t)
	jsonxtest.RoundTrip[milestonesShape](t)
	jsonxtest.RoundTrip[ledgerShape](t)
}

func FuzzUnmarshal(f *testing.F) {
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		compare(t, data)
	})
}
