package jsonx

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"
)

// Why a decoder of its own: encoding/json's Unmarshal links its whole
// reflection-driven decoder, and because it looks for UnmarshalJSON and
// UnmarshalText methods, the linker must then keep those methods on every
// type the program puts in an interface (TLS, x509, netip, big, slog, OTel).
// For the handful of small files Waymark reads in the host's binary that is
// about 100 KB of a stripped binary. Unmarshal below decodes the same files
// into the same Go types, with encoding/json's rules for the kinds they use,
// and never calls a method of the value it fills. It reads no unsigned
// integers (none of those files has one); floats, for the uploader
// ticket's sample rate.

// maxDepth bounds the nesting of arrays and objects, so a hostile file
// cannot exhaust the stack.
const maxDepth = 1000

var (
	timeType   = reflect.TypeFor[time.Time]()
	rawType    = reflect.TypeFor[json.RawMessage]()
	numberType = reflect.TypeFor[json.Number]()
)

// SyntaxError reports JSON that is not well formed, or a value of the wrong
// kind for the Go value being filled.
type SyntaxError struct {
	// Msg says what is wrong.
	Msg string
	// Offset is the byte offset in the input where it was found.
	Offset int
}

// Error implements error.
func (e *SyntaxError) Error() string {
	return "jsonx: " + e.Msg + " at offset " + strconv.Itoa(e.Offset)
}

// Valid reports whether data is one well-formed JSON value with nothing
// but white space around it, as encoding/json's Valid does.
func Valid(data []byte) bool {
	d := decoder{data: data}
	d.skipSpace()
	if d.skip(0) != nil {
		return false
	}
	d.skipSpace()
	return d.i == len(data)
}

// Unmarshal decodes the JSON value in data into v, a non-nil pointer. It
// follows encoding/json's rules for what Waymark's files hold: structs by
// their json tags (an exact name first, then one that differs only in
// case; unknown names are ignored), strings, booleans, signed integers (an
// integer literal that fits), slices, maps with string keys,
// pointers, time.Time (an RFC 3339 string), json.RawMessage (the raw
// bytes) and json.Number; null leaves a value as it is, except that it
// empties a map, slice, pointer or interface. An interface{} receives
// map[string]any, []any, string, bool, nil and json.Number, as
// encoding/json's Decoder with UseNumber gives. A value of the wrong kind,
// bad syntax or anything after the value is an error, and then v may be
// partly filled.
func Unmarshal(data []byte, v any) error {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return errors.New("jsonx: Unmarshal needs a non-nil pointer")
	}
	d := decoder{data: data}
	d.skipSpace()
	if err := d.value(rv.Elem(), 0); err != nil {
		return err
	}
	d.skipSpace()
	if d.i != len(data) {
		return d.fail("data after the value")
	}
	return nil
}

type decoder struct {
	data []byte
	i    int
}

func (d *decoder) fail(msg string) error { return &SyntaxError{Msg: msg, Offset: d.i} }

func (d *decoder) skipSpace() {
	for d.i < len(d.data) {
		switch d.data[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

// skip passes over one value, checking its syntax.
func (d *decoder) skip(depth int) error {
	if d.i >= len(d.data) {
		return d.fail("unexpected end of input")
	}
	switch c := d.data[d.i]; {
	case c == '{' || c == '[':
		if depth >= maxDepth {
			return d.fail("nested too deeply")
		}
		return d.container(func() error { return d.skip(depth + 1) })
	case c == '"':
		_, err := d.str()
		return err
	case c == 't':
		return d.word("true")
	case c == 'f':
		return d.word("false")
	case c == 'n':
		return d.word("null")
	default:
		_, err := d.number()
		return err
	}
}

// container walks an object or array at d.i; for an object it checks each
// name and calls member after the colon, for an array it calls member for
// each element. member must consume one value.
func (d *decoder) container(member func() error) error {
	return d.walk(func(string) error { return member() }, member)
}

// walk is container with the object member's name given to onMember.
func (d *decoder) walk(onMember func(name string) error, onElem func() error) error {
	open := d.data[d.i]
	close := byte(']')
	if open == '{' {
		close = '}'
	}
	d.i++
	d.skipSpace()
	if d.i < len(d.data) && d.data[d.i] == close {
		d.i++
		return nil
	}
	for {
		d.skipSpace()
		if open == '{' {
			if d.i >= len(d.data) || d.data[d.i] != '"' {
				return d.fail("object member without a string name")
			}
			name, err := d.str()
			if err != nil {
				return err
			}
			d.skipSpace()
			if d.i >= len(d.data) || d.data[d.i] != ':' {
				return d.fail("missing colon after an object member's name")
			}
			d.i++
			d.skipSpace()
			if err := onMember(name); err != nil {
				return err
			}
		} else if err := onElem(); err != nil {
			return err
		}
		d.skipSpace()
		if d.i >= len(d.data) {
			return d.fail("unexpected end of input")
		}
		switch d.data[d.i] {
		case ',':
			d.i++
		case close:
			d.i++
			return nil
		default:
			return d.fail("expected a comma or the end of the container")
		}
	}
}

func (d *decoder) word(w string) error {
	if !bytes.HasPrefix(d.data[d.i:], []byte(w)) {
		return d.fail("invalid literal")
	}
	d.i += len(w)
	return nil
}

// number passes over a number and returns its text.
func (d *decoder) number() (string, error) {
	start := d.i
	digits := func() int {
		n := 0
		for d.i < len(d.data) && d.data[d.i] >= '0' && d.data[d.i] <= '9' {
			d.i++
			n++
		}
		return n
	}
	if d.i < len(d.data) && d.data[d.i] == '-' {
		d.i++
	}
	if d.i < len(d.data) && d.data[d.i] == '0' {
		d.i++
	} else if digits() == 0 {
		return "", d.fail("invalid character")
	}
	if d.i < len(d.data) && d.data[d.i] == '.' {
		d.i++
		if digits() == 0 {
			return "", d.fail("invalid number")
		}
	}
	if d.i < len(d.data) && (d.data[d.i] == 'e' || d.data[d.i] == 'E') {
		d.i++
		if d.i < len(d.data) && (d.data[d.i] == '+' || d.data[d.i] == '-') {
			d.i++
		}
		if digits() == 0 {
			return "", d.fail("invalid number")
		}
	}
	return string(d.data[start:d.i]), nil
}

// str decodes the string at d.i. Bytes that are not valid UTF-8 and lone
// surrogates become U+FFFD, as in encoding/json.
func (d *decoder) str() (string, error) {
	d.i++ // the quote
	start := d.i
	// The common case: no escapes, valid UTF-8.
	for d.i < len(d.data) {
		c := d.data[d.i]
		if c == '"' {
			s := d.data[start:d.i]
			d.i++
			if utf8.Valid(s) {
				return string(s), nil
			}
			d.i = start
			break
		}
		if c == '\\' || c < 0x20 {
			d.i = start
			break
		}
		d.i++
	}
	if d.i != start {
		return "", d.fail("unterminated string")
	}
	var b []byte
	for d.i < len(d.data) {
		c := d.data[d.i]
		switch {
		case c == '"':
			d.i++
			return string(b), nil
		case c < 0x20:
			return "", d.fail("control character in a string")
		case c == '\\':
			if d.i+1 >= len(d.data) {
				return "", d.fail("unterminated string")
			}
			e := d.data[d.i+1]
			d.i += 2
			switch e {
			case '"', '\\', '/':
				b = append(b, e)
			case 'b':
				b = append(b, '\b')
			case 'f':
				b = append(b, '\f')
			case 'n':
				b = append(b, '\n')
			case 'r':
				b = append(b, '\r')
			case 't':
				b = append(b, '\t')
			case 'u':
				r, ok := d.hex4()
				if !ok {
					return "", d.fail("invalid \\u escape")
				}
				if utf16.IsSurrogate(r) {
					r2 := rune(-1)
					if d.i+1 < len(d.data) && d.data[d.i] == '\\' && d.data[d.i+1] == 'u' {
						save := d.i
						d.i += 2
						var ok2 bool
						if r2, ok2 = d.hex4(); !ok2 {
							return "", d.fail("invalid \\u escape")
						}
						if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
							r, r2 = dec, -1
						} else {
							d.i = save // the second escape stands alone
							r2 = -1
							r = utf8.RuneError
						}
					} else {
						r = utf8.RuneError
					}
				}
				b = utf8.AppendRune(b, r)
			default:
				return "", d.fail("invalid escape in a string")
			}
		case c < utf8.RuneSelf:
			b = append(b, c)
			d.i++
		default:
			r, size := utf8.DecodeRune(d.data[d.i:])
			d.i += size
			b = utf8.AppendRune(b, r)
		}
	}
	return "", d.fail("unterminated string")
}

func (d *decoder) hex4() (rune, bool) {
	if d.i+4 > len(d.data) {
		return 0, false
	}
	var r rune
	for _, c := range d.data[d.i : d.i+4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	d.i += 4
	return r, true
}

// value decodes the value at d.i into v.
func (d *decoder) value(v reflect.Value, depth int) error {
	if d.i >= len(d.data) {
		return d.fail("unexpected end of input")
	}
	start := d.i
	c := d.data[d.i]
	if v.Type() == rawType {
		if err := d.skip(depth); err != nil {
			return err
		}
		v.SetBytes(append([]byte(nil), d.data[start:d.i]...))
		return nil
	}
	if c == 'n' {
		if err := d.word("null"); err != nil {
			return err
		}
		switch v.Kind() {
		case reflect.Map, reflect.Slice, reflect.Pointer, reflect.Interface:
			v.SetZero()
		}
		return nil
	}
	if v.Type() == timeType {
		if c != '"' {
			return d.wrongKind(depth, "a time must be a string")
		}
		s, err := d.str()
		if err != nil {
			return err
		}
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			d.i = start
			return d.fail("a time that is not RFC 3339")
		}
		v.Set(reflect.ValueOf(t))
		return nil
	}
	if depth >= maxDepth {
		return d.fail("nested too deeply")
	}
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		return d.value(v.Elem(), depth+1)
	case reflect.Interface:
		if v.NumMethod() != 0 {
			return d.fail("cannot decode into a non-empty interface")
		}
		x, err := d.generic(depth)
		if err != nil {
			return err
		}
		if x == nil {
			v.SetZero()
		} else {
			v.Set(reflect.ValueOf(x))
		}
		return nil
	case reflect.String:
		if c != '"' {
			if v.Type() == numberType {
				n, err := d.number()
				if err != nil {
					return err
				}
				v.SetString(n)
				return nil
			}
			return d.wrongKind(depth, "expected a string")
		}
		s, err := d.str()
		if err != nil {
			return err
		}
		if v.Type() == numberType {
			// json.Number from a string: the string must be a number.
			nd := decoder{data: []byte(s)}
			if _, err := nd.number(); err != nil || nd.i != len(s) {
				d.i = start
				return d.fail("a json.Number that is not a number")
			}
		}
		v.SetString(s)
		return nil
	case reflect.Bool:
		switch c {
		case 't':
			v.SetBool(true)
			return d.word("true")
		case 'f':
			v.SetBool(false)
			return d.word("false")
		}
		return d.wrongKind(depth, "expected a boolean")
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if c != '-' && (c < '0' || c > '9') {
			return d.wrongKind(depth, "expected a number")
		}
		n, err := d.number()
		if err != nil {
			return err
		}
		x, err := strconv.ParseInt(n, 10, 64)
		if err != nil || v.OverflowInt(x) {
			d.i = start
			return d.fail("not an integer in range")
		}
		v.SetInt(x)
		return nil
	case reflect.Float32, reflect.Float64:
		if c != '-' && (c < '0' || c > '9') {
			return d.wrongKind(depth, "expected a number")
		}
		n, err := d.number()
		if err != nil {
			return err
		}
		x, err := strconv.ParseFloat(n, v.Type().Bits())
		if err != nil {
			d.i = start
			return d.fail("not a number in range")
		}
		v.SetFloat(x)
		return nil
	case reflect.Slice:
		if c != '[' {
			return d.wrongKind(depth, "expected an array")
		}
		s := reflect.MakeSlice(v.Type(), 0, 0)
		err := d.container(func() error {
			s = reflect.Append(s, reflect.Zero(v.Type().Elem()))
			return d.value(s.Index(s.Len()-1), depth+1)
		})
		if err != nil {
			return err
		}
		v.Set(s)
		return nil
	case reflect.Map:
		if v.Type().Key().Kind() != reflect.String {
			return d.fail("cannot decode into a map without string keys")
		}
		if c != '{' {
			return d.wrongKind(depth, "expected an object")
		}
		if v.IsNil() {
			v.Set(reflect.MakeMap(v.Type()))
		}
		et := v.Type().Elem()
		return d.walk(func(name string) error {
			e := reflect.New(et).Elem()
			if err := d.value(e, depth+1); err != nil {
				return err
			}
			v.SetMapIndex(reflect.ValueOf(name).Convert(v.Type().Key()), e)
			return nil
		}, nil)
	case reflect.Struct:
		if c != '{' {
			return d.wrongKind(depth, "expected an object")
		}
		fields := structFields(v.Type())
		return d.walk(func(name string) error {
			i := fieldIndex(fields, name)
			if i < 0 {
				return d.skip(depth + 1)
			}
			return d.value(v.Field(i), depth+1)
		}, nil)
	}
	return d.fail("cannot decode into a " + v.Kind().String())
}

// wrongKind reports a value of the wrong kind; like encoding/json, it is
// an error only after the value's own syntax is checked.
func (d *decoder) wrongKind(depth int, msg string) error {
	start := d.i
	if err := d.skip(depth); err != nil {
		return err
	}
	d.i = start
	return d.fail(msg)
}

// generic decodes any value into map[string]any, []any, string, bool,
// json.Number or nil.
func (d *decoder) generic(depth int) (any, error) {
	if d.i >= len(d.data) {
		return nil, d.fail("unexpected end of input")
	}
	switch c := d.data[d.i]; c {
	case '{', '[':
		if depth >= maxDepth {
			return nil, d.fail("nested too deeply")
		}
		if c == '{' {
			m := map[string]any{}
			err := d.walk(func(name string) error {
				x, err := d.generic(depth + 1)
				m[name] = x
				return err
			}, nil)
			return m, err
		}
		a := []any{}
		err := d.container(func() error {
			x, err := d.generic(depth + 1)
			a = append(a, x)
			return err
		})
		return a, err
	case '"':
		return d.str()
	case 't':
		return true, d.word("true")
	case 'f':
		return false, d.word("false")
	case 'n':
		return nil, d.word("null")
	}
	n, err := d.number()
	return json.Number(n), err
}

// field is one decodable struct field.
type field struct {
	name  string
	index int
}

// structFields lists t's exported fields by their JSON names, as
// encoding/json names them (the tag's name, else the field's own; "-"
// skips). Embedded structs are not flattened: Waymark's files have none.
func structFields(t reflect.Type) []field {
	var fs []field
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if name == "" {
			name = f.Name
		}
		fs = append(fs, field{name: name, index: i})
	}
	return fs
}

// fieldIndex finds the field named name: an exact match first, then one
// equal under case folding, as encoding/json matches them.
func fieldIndex(fs []field, name string) int {
	for _, f := range fs {
		if f.name == name {
			return f.index
		}
	}
	for _, f := range fs {
		if strings.EqualFold(f.name, name) {
			return f.index
		}
	}
	return -1
}
