package report

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// MaxLineBytes bounds one stored line. The file exporter writes one batch per line; Waymark's
// collector batches far below this, so a longer line is damage, skipped with a warning.
const MaxLineBytes = 64 << 20

// RotationSlack is how much later than its name's time a rotated file may hold events (by the
// clocks of the clients that sent them): a rotated file named before Windows.Oldest minus this
// is not read.
const RotationSlack = 24 * time.Hour

// maxWarningsPerFile bounds the warnings about one file; the rest are summed up.
const maxWarningsPerFile = 20

// Warner receives one message per skipped piece of input, prefixed with "file:line: " where a
// line is known.
type Warner func(msg string)

// Files is the Source over what the collector's file exporter wrote: Paths are files, or
// directories searched recursively for *.json, *.jsonl and *.ndjson files (the current and the
// rotated ones), read in lexical order, one line at a time.
type Files struct {
	Paths []string
	// Warn, if set, receives a message for each piece of input left out.
	Warn Warner
	// Stats, if set, is filled with what was read.
	Stats *ReadStats
}

// ReadStats says what a Files source read; it belongs to the source, never to the report.
type ReadStats struct {
	Files, OldFilesNotOpened, Lines, MetricsLines, Events, RecordsLeftOut int
}

// Aggregate implements Source. It fails only when a path given cannot be opened at all.
func (f Files) Aggregate(q Query) (map[string]*Aggregates, error) {
	warn := f.Warn
	if warn == nil {
		warn = func(string) {}
	}
	st := f.Stats
	if st == nil {
		st = &ReadStats{}
	}
	acc := newAccumulator(q)
	oldest := acc.w.Oldest().Add(-RotationSlack)
	r := &fileReader{acc: acc, dec: newDecoder(), warn: warn, st: st}
	for _, p := range f.Paths {
		info, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("report: %w", err)
		}
		if !info.IsDir() {
			if !info.Mode().IsRegular() {
				// A FIFO or device would block the report or never end.
				return nil, fmt.Errorf("report: %s is not a regular file or a directory", p)
			}
			if err := r.readFile(p); err != nil {
				return nil, err
			}
			continue
		}
		acc.addErased(p, warn)
		var files []string
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				warn(fmt.Sprintf("%s: %v (skipped)", path, err))
				if d != nil && d.IsDir() {
					return fs.SkipDir
				}
				return nil
			}
			if d.Type().IsRegular() && isDataFile(d.Name()) {
				files = append(files, path)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("report: walk %s: %w", p, err)
		}
		sort.Strings(files)
		for _, file := range files {
			if t, ok := RotatedAt(filepath.Base(file)); ok && t.Before(oldest) {
				st.OldFilesNotOpened++
				continue
			}
			if err := r.readFile(file); err != nil {
				warn(err.Error() + " (skipped)")
			}
		}
	}
	return acc.result(q.Funnel), nil
}

// RotatedAt returns the time in a rotated file's name, <name>-2006-01-02T15-04-05.000.<ext>
// (UTC, as the collector's file exporter names them), or false for any other name.
func RotatedAt(name string) (time.Time, bool) {
	const layout = "2006-01-02T15-04-05.000"
	base := strings.TrimSuffix(name, filepath.Ext(name))
	if len(base) < len(layout)+2 || base[len(base)-len(layout)-1] != '-' {
		return time.Time{}, false
	}
	t, err := time.Parse(layout, base[len(base)-len(layout):])
	return t, err == nil
}

func isDataFile(name string) bool {
	if strings.HasPrefix(name, ".") {
		return false
	}
	switch strings.ToLower(filepath.Ext(name)) {
	case ".json", ".jsonl", ".ndjson":
		return true
	}
	return false
}

type fileReader struct {
	acc  *accumulator
	dec  *decoder
	warn Warner
	st   *ReadStats
	s    scanner
	res  rawResource
	recs []rawRecord
	buf  *bufio.Reader
	line []byte
}

func (r *fileReader) readFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	defer f.Close()
	r.st.Files++
	if r.buf == nil {
		r.buf = bufio.NewReaderSize(f, 1<<20)
	} else {
		r.buf.Reset(f)
	}
	warnings, more := 0, 0
	warn := func(msg string) {
		if warnings < maxWarningsPerFile {
			warnings++
			r.warn(msg)
		} else {
			more++
		}
	}
	emit := func(res *rawResource, rec *rawRecord) {
		ev, ok := r.dec.event(res, rec)
		if ok {
			r.st.Events++
			r.acc.add(&ev)
		}
	}
	for n := 1; ; n++ {
		line, tooLong, err := r.readLine()
		if len(line) > 0 || tooLong {
			at := lineRef{path, n}
			if tooLong {
				r.st.Lines++
				warn(fmt.Sprintf("%sline longer than %d bytes (skipped)", at, MaxLineBytes))
			} else if len(bytes.TrimSpace(line)) > 0 {
				r.st.Lines++
				kind, perr := scanLine(line, &r.s, &r.res, &r.recs, emit)
				if kind == lineMetrics {
					r.st.MetricsLines++
				}
				if perr != nil {
					switch {
					case err == io.EOF:
						// The file exporter ends every line with a newline; a last line
						// without one was cut short (a crash, a full disk, a copy mid-write).
						warn(fmt.Sprintf("%struncated last line: %v (skipped)", at, perr))
					default:
						warn(fmt.Sprintf("%s%v (rest of line skipped)", at, perr))
					}
				}
				if len(r.dec.skipped) > 0 {
					reasons := make([]string, 0, len(r.dec.skipped))
					for why, c := range r.dec.skipped {
						reasons = append(reasons, fmt.Sprintf("%d %s", c, why))
						r.st.RecordsLeftOut += c
					}
					sort.Strings(reasons)
					warn(fmt.Sprintf("%slog records skipped: %s", at, strings.Join(reasons, ", ")))
					clear(r.dec.skipped)
				}
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			warn(fmt.Sprintf("%s:%d: read: %v (rest of file skipped)", path, n, err))
			break
		}
	}
	if more > 0 {
		r.warn(fmt.Sprintf("%s: %d more warnings", path, more))
	}
	return nil
}

// lineRef names a line in warnings; it is formatted only when a warning is written.
type lineRef struct {
	path string
	n    int
}

func (l lineRef) String() string { return fmt.Sprintf("%s:%d: ", l.path, l.n) }

// readLine returns the next line without its newline, valid until the next call. A line over
// MaxLineBytes is consumed and reported as tooLong with no content. err is io.EOF at the end.
func (r *fileReader) readLine() (line []byte, tooLong bool, err error) {
	r.line = r.line[:0]
	for {
		frag, e := r.buf.ReadSlice('\n')
		if len(r.line) == 0 && e == nil && !tooLong {
			// The whole line is in the buffer: no copy.
			return frag[:len(frag)-1], false, nil
		}
		if !tooLong {
			if len(r.line)+len(frag) > MaxLineBytes+1 {
				tooLong, r.line = true, r.line[:0]
			} else {
				r.line = append(r.line, frag...)
			}
		}
		switch {
		case e == nil:
			return bytes.TrimSuffix(r.line, []byte("\n")), tooLong, nil
		case errors.Is(e, bufio.ErrBufferFull):
			continue
		default:
			return r.line, tooLong, e
		}
	}
}
