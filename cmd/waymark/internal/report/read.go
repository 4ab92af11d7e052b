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
)

// MaxLineBytes bounds one stored line. The file exporter writes one batch per line; Waymark's
// collector batches far below this, so a longer line is damage, skipped with a warning.
const MaxLineBytes = 64 << 20

// Input is everything read from the paths: the events, in reading order, and what was read.
type Input struct {
	Events []Event
	Files  int // files read
	Lines  int // non-blank lines read

	strings map[string]string // interned values
}

// Warner receives one message per skipped piece of input, prefixed with "file:line: " where a
// line is known.
type Warner func(msg string)

// Read reads every path: a file, or a directory searched recursively for *.json, *.jsonl and
// *.ndjson files (the file exporter's current and rotated files), in lexical order. Unreadable
// or malformed input is reported to warn and skipped; Read fails only when a path given
// cannot be opened at all.
func Read(paths []string, warn Warner) (*Input, error) {
	if warn == nil {
		warn = func(string) {}
	}
	in := &Input{}
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("report: %w", err)
		}
		if !st.IsDir() {
			if err := in.readFile(p, warn); err != nil {
				return nil, err
			}
			continue
		}
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
		for _, f := range files {
			if err := in.readFile(f, warn); err != nil {
				warn(err.Error() + " (skipped)")
			}
		}
	}
	return in, nil
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

func (in *Input) readFile(path string, warn Warner) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	defer f.Close()
	in.Files++
	r := bufio.NewReaderSize(f, 1<<20)
	for n := 1; ; n++ {
		line, tooLong, err := readLine(r, MaxLineBytes)
		if len(bytes.TrimSpace(line)) > 0 || tooLong {
			in.Lines++
			at := fmt.Sprintf("%s:%d: ", path, n)
			switch {
			case tooLong:
				warn(fmt.Sprintf("%sline longer than %d bytes (skipped)", at, MaxLineBytes))
			default:
				in.parse(line, at, err == io.EOF, warn)
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			warn(fmt.Sprintf("%s:%d: read: %v (rest of file skipped)", path, n, err))
			return nil
		}
	}
}

func (in *Input) parse(line []byte, at string, last bool, warn Warner) {
	l, err := ParseLine(line)
	if err != nil {
		err = errors.New(strings.TrimPrefix(err.Error(), "report: "))
		if last {
			// The file exporter ends every line with a newline; a last line without one was
			// cut short (a crash, a full disk, a copy taken mid-write).
			warn(fmt.Sprintf("%struncated last line: %v (skipped)", at, err))
		} else {
			warn(fmt.Sprintf("%s%v (skipped)", at, err))
		}
		return
	}
	for _, ev := range l.Events {
		// Versions, platforms and names repeat across millions of events: keep one copy.
		ev.Name, ev.Product, ev.Version = in.intern(ev.Name), in.intern(ev.Product), in.intern(ev.Version)
		ev.OS, ev.Arch, ev.Milestone = in.intern(ev.OS), in.intern(ev.Arch), in.intern(ev.Milestone)
		in.Events = append(in.Events, ev)
	}
	if len(l.Skipped) > 0 {
		reasons := make([]string, 0, len(l.Skipped))
		for why, c := range l.Skipped {
			reasons = append(reasons, fmt.Sprintf("%d %s", c, why))
		}
		sort.Strings(reasons)
		warn(fmt.Sprintf("%slog records skipped: %s", at, strings.Join(reasons, ", ")))
	}
}

func (in *Input) intern(s string) string {
	if in.strings == nil {
		in.strings = map[string]string{}
	}
	if v, ok := in.strings[s]; ok {
		return v
	}
	if len(in.strings) < 1<<16 {
		in.strings[s] = s
	}
	return s
}

// readLine returns the next line without its newline. A line over max bytes is consumed and
// reported as tooLong with no content. err is io.EOF at the end of the input.
func readLine(r *bufio.Reader, max int) (line []byte, tooLong bool, err error) {
	for {
		frag, e := r.ReadSlice('\n')
		if !tooLong {
			if len(line)+len(frag) > max+1 {
				tooLong, line = true, nil
			} else {
				line = append(line, frag...)
			}
		}
		switch {
		case e == nil:
			return bytes.TrimSuffix(line, []byte("\n")), tooLong, nil
		case errors.Is(e, bufio.ErrBufferFull):
			continue
		default:
			return line, tooLong, e
		}
	}
}
