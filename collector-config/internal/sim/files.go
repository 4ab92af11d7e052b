package sim

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"time"
	"unicode/utf8"
)

// FileWriter stores uploads as the collector's file exporter does with ingest.yaml: OTLP JSON,
// one export request per line, logs in logs.jsonl and metrics in metrics.jsonl; a file that
// would grow past RotateBytes is renamed to <name>-<UTC time>.jsonl (the time of the write that
// rotated it, in the exporter's 2006-01-02T15-04-05.000 form) and a new one begun. Uploads
// received within one second share a line, as one request of a client that sends several
// uploads at once does (the collector writes one request per line).
type FileWriter struct {
	dir         string
	rotateBytes int64
	logs, mets  *rotatingFile
	pending     []*Upload
	window      time.Time
	records     int
}

// NewFileWriter writes into dir (created if needed), rotating files at rotateBytes (64 MiB if
// zero, as ingest.yaml).
func NewFileWriter(dir string, rotateBytes int64) (*FileWriter, error) {
	if rotateBytes <= 0 {
		rotateBytes = 64 << 20
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("sim: %w", err)
	}
	w := &FileWriter{dir: dir, rotateBytes: rotateBytes}
	w.logs = &rotatingFile{dir: dir, name: "logs", max: rotateBytes}
	w.mets = &rotatingFile{dir: dir, name: "metrics", max: rotateBytes}
	return w, nil
}

// Write adds one upload; uploads must come in the order of Received, as Run gives them.
func (w *FileWriter) Write(u *Upload) error {
	win := u.Received.Truncate(time.Second)
	if len(w.pending) > 0 && (!win.Equal(w.window) || w.records+len(u.Records) > 2048) {
		if err := w.flush(); err != nil {
			return err
		}
	}
	w.window = win
	w.pending = append(w.pending, u)
	w.records += len(u.Records)
	return nil
}

// Close writes what is pending and closes the files.
func (w *FileWriter) Close() error {
	err := w.flush()
	if e := w.logs.close(); err == nil {
		err = e
	}
	if e := w.mets.close(); err == nil {
		err = e
	}
	return err
}

func (w *FileWriter) flush() error {
	if len(w.pending) == 0 {
		return nil
	}
	at := w.pending[len(w.pending)-1].Received
	line := AppendLogsJSON(nil, w.pending)
	if err := w.logs.write(line, at); err != nil {
		return err
	}
	if line := AppendMetricsJSON(nil, w.pending); line != nil {
		if err := w.mets.write(line, at); err != nil {
			return err
		}
	}
	w.pending, w.records = w.pending[:0], 0
	return nil
}

type rotatingFile struct {
	dir, name string
	max       int64
	f         *os.File
	bw        *bufio.Writer
	size      int64
}

func (r *rotatingFile) write(line []byte, at time.Time) error {
	if r.f != nil && r.size+int64(len(line)) > r.max {
		if err := r.close(); err != nil {
			return err
		}
		backup := fmt.Sprintf("%s-%s.jsonl", r.name, at.UTC().Format("2006-01-02T15-04-05.000"))
		if err := os.Rename(filepath.Join(r.dir, r.name+".jsonl"), filepath.Join(r.dir, backup)); err != nil {
			return fmt.Errorf("sim: rotate: %w", err)
		}
	}
	if r.f == nil {
		f, err := os.OpenFile(filepath.Join(r.dir, r.name+".jsonl"), os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o640)
		if err != nil {
			return fmt.Errorf("sim: %w", err)
		}
		r.f, r.bw, r.size = f, bufio.NewWriterSize(f, 1<<20), 0
	}
	n, err := r.bw.Write(line)
	r.size += int64(n)
	if err != nil {
		return fmt.Errorf("sim: write %s: %w", r.name, err)
	}
	return nil
}

func (r *rotatingFile) close() error {
	if r.f == nil {
		return nil
	}
	err := r.bw.Flush()
	if e := r.f.Close(); err == nil {
		err = e
	}
	r.f = nil
	return err
}

// AppendLogsJSON appends one line holding the uploads' events as an ExportLogsServiceRequest
// in the collector's JSON form (the field order and encodings of pdata's marshaler: 64-bit
// integers as strings, an empty body object, empty trace context left out), newline included.
func AppendLogsJSON(b []byte, ups []*Upload) []byte {
	b = append(b, `{"resourceLogs":[`...)
	for i, u := range ups {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendResource(b, u.Resource)
		b = append(b, `,"scopeLogs":[{"scope":{"name":"waymark","version":"`+SDKVersion+`"},"logRecords":[`...)
		for j, r := range u.Records {
			if j > 0 {
				b = append(b, ',')
			}
			ns := strconv.FormatInt(r.Time.UnixNano(), 10)
			b = append(b, `{"timeUnixNano":"`...)
			b = append(b, ns...)
			b = append(b, `","observedTimeUnixNano":"`...)
			b = append(b, ns...)
			b = append(b, `","severityNumber":9,"body":{},"attributes":`...)
			b = appendAttrs(b, r.Attrs)
			b = append(b, `,"eventName":`...)
			b = appendString(b, r.Name)
			b = append(b, '}')
		}
		b = append(b, "]}]}"...)
	}
	return append(b, "]}\n"...)
}

// AppendMetricsJSON appends one line holding the uploads' metrics as an
// ExportMetricsServiceRequest, or returns b unchanged (nil for nil) if none carries any.
func AppendMetricsJSON(b []byte, ups []*Upload) []byte {
	n := 0
	for _, u := range ups {
		if len(u.Milestones) == 0 && u.Heartbeats == 0 {
			continue
		}
		if n == 0 {
			b = append(b, `{"resourceMetrics":[`...)
		} else {
			b = append(b, ',')
		}
		n++
		end := strconv.FormatInt(u.Received.UnixNano(), 10)
		b = appendResource(b, u.Resource)
		b = append(b, `,"scopeMetrics":[{"scope":{"name":"waymark","version":"`+SDKVersion+`"},"metrics":[`...)
		if len(u.Milestones) > 0 {
			names := make([]string, 0, len(u.Milestones))
			for m := range u.Milestones {
				names = append(names, m)
			}
			sort.Strings(names)
			b = append(b, `{"name":"waymark.milestones","description":"Milestones first recorded on this installation.","unit":"{milestone}","sum":{"dataPoints":[`...)
			for i, m := range names {
				if i > 0 {
					b = append(b, ',')
				}
				b = append(b, `{"attributes":`...)
				b = appendAttrs(b, []Attr{Str("milestone.name", m)})
				b = append(b, `,"timeUnixNano":"`...)
				b = append(b, end...)
				b = append(b, `","asInt":"`...)
				b = strconv.AppendInt(b, u.Milestones[m], 10)
				b = append(b, `"}`...)
			}
			b = append(b, `],"aggregationTemporality":1,"isMonotonic":true}}`...)
		}
		if u.Heartbeats > 0 {
			if len(u.Milestones) > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"name":"waymark.heartbeats","description":"Server heartbeats.","unit":"{heartbeat}","sum":{"dataPoints":[{"timeUnixNano":"`...)
			b = append(b, end...)
			b = append(b, `","asInt":"`...)
			b = strconv.AppendInt(b, u.Heartbeats, 10)
			b = append(b, `"}],"aggregationTemporality":1,"isMonotonic":true}},{"name":"waymark.session.uptime","unit":"s","gauge":{"dataPoints":[{"timeUnixNano":"`...)
			b = append(b, end...)
			b = append(b, `","asDouble":`...)
			b = strconv.AppendFloat(b, u.Uptime.Seconds(), 'g', -1, 64)
			b = append(b, `}]}}`...)
		}
		b = append(b, "]}]}"...)
	}
	if n == 0 {
		return b
	}
	return append(b, "]}\n"...)
}

func appendResource(b []byte, r Resource) []byte {
	b = append(b, `{"resource":{"attributes":`...)
	b = appendAttrs(b, r.Attrs())
	return append(b, '}')
}

func appendAttrs(b []byte, attrs []Attr) []byte {
	b = append(b, '[')
	for i, a := range attrs {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"key":`...)
		b = appendString(b, a.Key)
		if a.IsInt {
			b = append(b, `,"value":{"intValue":"`...)
			b = strconv.AppendInt(b, a.Int, 10)
			b = append(b, `"}}`...)
		} else {
			b = append(b, `,"value":{"stringValue":`...)
			b = appendString(b, a.Str)
			b = append(b, "}}"...)
		}
	}
	return append(b, ']')
}

// appendString appends s as a JSON string, escaping what JSON requires and <, >, & as the
// collector's encoder does.
func appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\t':
				b = append(b, '\\', 't')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c < 0x20 || c == '<' || c == '>' || c == '&':
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&15])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			b = append(b, `\ufffd`...)
		} else {
			b = append(b, s[i:i+n]...)
		}
		i += n
	}
	return append(b, '"')
}
