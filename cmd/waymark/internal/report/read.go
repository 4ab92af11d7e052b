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
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
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
// rotated ones), read one line at a time on every core, with the result, warnings and stats of
// a reading in lexical order.
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
	// TornRequests counts export requests cut short (a collector killed mid-write) that were
	// followed on their line by another request, which was read.
	TornRequests int
}

// Aggregate implements Source. It reads on every core (GOMAXPROCS workers): files, and large
// files in pieces split at newlines, are decoded in parallel, each worker folding what it reads
// into its own per-install state, and the states are merged at the end; the result, the
// warnings and their order are those of a reading in order on one core. It fails only when a
// path given cannot be opened at all.
func (f Files) Aggregate(q Query) (map[string]*Aggregates, error) {
	return f.aggregate(q, runtime.GOMAXPROCS(0), chunkBytes)
}

// chunkBytes is the size of the pieces a file is read in, one worker each: small enough that
// the cores share a store of a few files evenly, large enough that a piece costs far more than
// the seek and the partial line that start it.
const chunkBytes = 8 << 20

// planItem is one entry of the reading order: a warning from the walk, or a file.
type planItem struct {
	warning  string
	path     string
	explicit bool // named on the command line: failing to open it fails the report
	chunks   []int
}

// chunk is a byte range of a file: it owns the lines that start in [off, end); the last chunk
// of a file runs to its end, whatever the file's size has become.
type chunk struct {
	path     string
	off, end int64
	last     bool
	openErr  error
	lines    int // lines that start in the chunk
	warnings []lineWarning
	more     int // warnings beyond maxWarningsPerFile
	st       ReadStats
}

// lineWarning is a warning about a chunk's line n (1-based within the chunk).
type lineWarning struct {
	n    int
	text string
}

// aggregate reads with the given number of workers, in chunks of at most piece bytes.
func (f Files) aggregate(q Query, workers int, piece int64) (map[string]*Aggregates, error) {
	warn := f.Warn
	if warn == nil {
		warn = func(string) {}
	}
	st := f.Stats
	if st == nil {
		st = &ReadStats{}
	}
	w := q.Windows()
	oldest := w.Oldest().Add(-RotationSlack)
	var plan []planItem
	acc := newAccumulator(q) // the first worker's, into which the others merge
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
			plan = append(plan, planItem{path: p, explicit: true})
			continue
		}
		acc.addErased(p, func(msg string) { plan = append(plan, planItem{warning: msg}) })
		var files []string
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				plan = append(plan, planItem{warning: fmt.Sprintf("%s: %v (skipped)", path, err)})
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
			plan = append(plan, planItem{path: file})
		}
	}

	var chunks []*chunk
	for i := range plan {
		it := &plan[i]
		if it.path == "" {
			continue
		}
		size := int64(0)
		if info, err := os.Stat(it.path); err == nil {
			size = info.Size()
		}
		for off := int64(0); ; off += piece {
			c := &chunk{path: it.path, off: off, end: off + piece}
			if c.end >= size {
				c.last = true
			}
			it.chunks = append(it.chunks, len(chunks))
			chunks = append(chunks, c)
			if c.last {
				break
			}
		}
	}

	workers = max(1, min(workers, len(chunks)))
	accs := make([]*accumulator, workers)
	var next atomic.Int64
	var wg sync.WaitGroup
	for i := range accs {
		accs[i] = acc
		if i > 0 {
			accs[i] = newAccumulator(q)
		}
		r := &fileReader{acc: accs[i], dec: newDecoder()}
		wg.Go(func() {
			for {
				k := int(next.Add(1) - 1)
				if k >= len(chunks) {
					return
				}
				r.readChunk(chunks[k])
			}
		})
	}
	wg.Wait()
	for _, b := range accs[1:] {
		acc.merge(b)
	}

	// Warnings and stats in the order of a reading on one core.
	for _, it := range plan {
		if it.path == "" {
			warn(it.warning)
			continue
		}
		if err := chunks[it.chunks[0]].openErr; err != nil {
			if it.explicit {
				return nil, err
			}
			warn(err.Error() + " (skipped)")
			continue
		}
		st.Files++
		lines, warnings, more := 0, 0, 0
		for _, k := range it.chunks {
			c := chunks[k]
			if c.openErr != nil {
				// The file went away between its first chunk and this one.
				more++
				continue
			}
			for _, lw := range c.warnings {
				if warnings < maxWarningsPerFile {
					warnings++
					warn(fmt.Sprintf("%s:%d: %s", it.path, lines+lw.n, lw.text))
				} else {
					more++
				}
			}
			more += c.more
			lines += c.lines
			st.Lines += c.st.Lines
			st.MetricsLines += c.st.MetricsLines
			st.Events += c.st.Events
			st.RecordsLeftOut += c.st.RecordsLeftOut
			st.TornRequests += c.st.TornRequests
		}
		if more > 0 {
			warn(fmt.Sprintf("%s: %d more warnings", it.path, more))
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

// fileReader is one worker's reading state; it folds everything it reads into acc.
type fileReader struct {
	acc  *accumulator
	dec  *decoder
	s    scanner
	res  rawResource
	recs []rawRecord
	buf  *bufio.Reader
	line []byte
}

// readChunk reads the lines that start in c's byte range and records in c what it saw.
func (r *fileReader) readChunk(c *chunk) {
	f, err := os.Open(c.path)
	if err != nil {
		c.openErr = fmt.Errorf("report: %w", err)
		return
	}
	defer f.Close()
	pos := c.off
	if c.off > 0 {
		// The line that holds byte off-1 belongs to the chunk before: skip to its end.
		pos--
		if _, err := f.Seek(pos, io.SeekStart); err != nil {
			c.warnings = append(c.warnings, lineWarning{1, fmt.Sprintf("read: %v (rest of file skipped)", err)})
			return
		}
	}
	if r.buf == nil {
		r.buf = bufio.NewReaderSize(f, 1<<20)
	} else {
		r.buf.Reset(f)
	}
	if c.off > 0 {
		_, _, n, err := r.readLine()
		pos += n
		if err != nil {
			return // no line starts in this chunk
		}
	}
	warn := func(n int, msg string) {
		if len(c.warnings) < maxWarningsPerFile {
			c.warnings = append(c.warnings, lineWarning{n, msg})
		} else {
			c.more++
		}
	}
	emit := func(res *rawResource, rec *rawRecord) {
		ev, ok := r.dec.event(res, rec)
		if ok {
			c.st.Events++
			r.acc.add(&ev)
		}
	}
	for n := 1; c.last || pos < c.end; n++ {
		line, tooLong, size, err := r.readLine()
		pos += size
		if size > 0 {
			c.lines++
		}
		if len(line) > 0 || tooLong {
			if tooLong {
				c.st.Lines++
				warn(n, fmt.Sprintf("line longer than %d bytes (skipped)", MaxLineBytes))
			} else if len(bytes.TrimSpace(line)) > 0 {
				c.st.Lines++
				res := scanRequests(line, &r.s, &r.res, &r.recs, emit)
				if res.kind == lineMetrics {
					c.st.MetricsLines++
				}
				c.st.TornRequests += res.torn
				switch {
				case res.err == nil && res.torn > 0:
					warn(n, fmt.Sprintf("%d export request(s) cut short (%v), as by a collector killed mid-write: their whole records and the request after them read", res.torn, res.tornErr))
				case res.err != nil && err == io.EOF:
					// The file exporter ends every line with a newline; a last line
					// without one was cut short (a crash, a full disk, a copy mid-write).
					warn(n, fmt.Sprintf("truncated last line: %v (skipped)", res.err))
				case res.err != nil:
					warn(n, fmt.Sprintf("%v (rest of line skipped)", res.err))
				}
				if len(r.dec.skipped) > 0 {
					reasons := make([]string, 0, len(r.dec.skipped))
					for why, k := range r.dec.skipped {
						reasons = append(reasons, fmt.Sprintf("%d %s", k, why))
						c.st.RecordsLeftOut += k
					}
					sort.Strings(reasons)
					warn(n, "log records skipped: "+strings.Join(reasons, ", "))
					clear(r.dec.skipped)
				}
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			warn(n, fmt.Sprintf("read: %v (rest of file skipped)", err))
			break
		}
	}
}

// readLine returns the next line without its newline, valid until the next call, and how many
// bytes it consumed. A line over MaxLineBytes is consumed and reported as tooLong with no
// content. err is io.EOF at the end.
func (r *fileReader) readLine() (line []byte, tooLong bool, size int64, err error) {
	r.line = r.line[:0]
	for {
		frag, e := r.buf.ReadSlice('\n')
		size += int64(len(frag))
		if len(r.line) == 0 && e == nil && !tooLong {
			// The whole line is in the buffer: no copy.
			return frag[:len(frag)-1], false, size, nil
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
			return bytes.TrimSuffix(r.line, []byte("\n")), tooLong, size, nil
		case errors.Is(e, bufio.ErrBufferFull):
			continue
		default:
			return r.line, tooLong, size, e
		}
	}
}
