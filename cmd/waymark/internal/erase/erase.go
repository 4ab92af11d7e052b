// Package erase applies the erasure requests (waymark.erasure events) that installs sent: it
// removes every record of such an install from the collector's files and from VictoriaLogs,
// and keeps only a salted hash of its id, so that a late duplicate (a record still in a
// collector's queue or a client's retry) is erased by the next run too. It never touches
// another install's records, and it can be run again and again.
//
// Files are rewritten atomically (a temporary file beside the original, synced, then renamed
// over it). The collector's file exporter keeps its current file (logs.jsonl, metrics.jsonl)
// open and appends to it; a file renamed over it would take those appends into a file that no
// longer has a name, and they would be lost. So the current files are rewritten only when the
// caller says the collector is stopped (Options.CollectorStopped); otherwise they are left as
// they are and reported as pending (they are erased once the collector rotated them, or on a
// run with the collector stopped). Rotated files are never written again by the collector and
// are always rewritten.
package erase

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/waymarkhq/waymark/cmd/waymark/internal/report"
	"github.com/waymarkhq/waymark/internal/schema"
	"github.com/waymarkhq/waymark/internal/uuidx"
)

// RegistryName is the file in the collector's data directory that holds the salt and the
// salted hashes of every install erased so far (report.Erased). Its name starts with a dot, so
// that `waymark report` never reads it as data; the report reads it to leave out late records
// of those installs.
const RegistryName = report.ErasedName

// maxLine bounds one line read, as the report does.
const maxLine = report.MaxLineBytes

// Options say what to erase and where.
type Options struct {
	// Dir is the collector's data directory, searched recursively.
	Dir string
	// CollectorStopped says that no collector writes into Dir now, so that its current files
	// may be rewritten too.
	CollectorStopped bool
	// Backend, if set, also erases from a store of events (VictoriaLogs): it is told the ids,
	// and may name ids to erase that it holds requests for.
	Backend Backend
	// Warn, if set, receives a message for each thing left undone or left out.
	Warn func(string)
}

// Backend is a store of events that can find erasure requests and delete an install's
// records.
type Backend interface {
	// Requests returns the installation ids that sent an erasure request the backend holds.
	Requests() ([]string, error)
	// Delete removes every record of the given installation ids, and returns once it is done.
	Delete(ids []string) error
	// Installs returns every installation id the backend holds records of: a record of an
	// install erased before that arrived after the erase (it waited in a collector's queue) is
	// found by matching these against the salted hashes, since no request names it any more.
	Installs() ([]string, error)
}

// Result says what a run did.
type Result struct {
	// Erased is the number of installs whose records were looked for and removed in this run
	// (requests found now, and late records of installs erased before).
	Erased int
	// FilesRewritten and LinesRemoved count the rewrite.
	FilesRewritten, LinesRemoved int
	// Pending lists current files that hold records to erase and were left alone because the
	// collector may be writing to them.
	Pending []string
}

// Run applies every erasure request: found in the files and in the backend, plus any record
// of an install erased before. The backend is asked to delete first, so that a failure there
// leaves the requests in the files for the next run.
func Run(opt Options) (Result, error) {
	var res Result
	warn := opt.Warn
	if warn == nil {
		warn = func(string) {}
	}
	files, err := dataFiles(opt.Dir, warn)
	if err != nil {
		return res, err
	}
	unlock, err := lockDir(opt.Dir)
	if err != nil {
		return res, err
	}
	defer unlock()
	reg, err := loadRegistry(opt.Dir)
	if err != nil {
		return res, err
	}
	salt, err := hex.DecodeString(reg.Salt)
	if err != nil || len(salt) < 16 {
		return res, fmt.Errorf("erase: %s: bad salt", RegistryName)
	}
	known := map[string]bool{}
	for _, h := range reg.Hashes {
		known[h] = true
	}

	// Pass 1: the ids to erase, and the files that hold them.
	targets := map[string]bool{}
	var seen []fileIDs
	for _, f := range files {
		reqs, ids, err := scanFile(f)
		if err != nil {
			warn(fmt.Sprintf("%s: %v (not read)", f, err))
			continue
		}
		for _, id := range reqs {
			targets[id] = true
		}
		for id := range ids {
			if known[report.SaltedHash(salt, id)] {
				targets[id] = true
			}
		}
		seen = append(seen, fileIDs{f, ids})
	}
	if opt.Backend != nil {
		ids, err := opt.Backend.Requests()
		if err != nil {
			return res, err
		}
		for _, id := range ids {
			if _, ok := uuidx.Parse([]byte(id)); ok {
				targets[strings.ToLower(id)] = true
			}
		}
		if len(known) > 0 {
			all, err := opt.Backend.Installs()
			if err != nil {
				// The requests are still applied; late records wait for a later run.
				warn(fmt.Sprintf("late records of installs erased before not looked for: %v", err))
			}
			for _, id := range all {
				if u, ok := uuidx.Parse([]byte(id)); ok && known[report.SaltedHash(salt, uuidString(u))] {
					targets[uuidString(u)] = true
				}
			}
		}
	}
	if len(targets) == 0 {
		return res, nil
	}
	ids := make([]string, 0, len(targets))
	for id := range targets {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	res.Erased = len(ids)

	// The hashes first: once a raw id is gone from the files, only they remember it.
	for _, id := range ids {
		if h := report.SaltedHash(salt, id); !known[h] {
			known[h] = true
			reg.Hashes = append(reg.Hashes, h)
		}
	}
	if err := saveRegistry(opt.Dir, reg); err != nil {
		return res, err
	}
	if opt.Backend != nil {
		if err := opt.Backend.Delete(ids); err != nil {
			return res, err
		}
	}

	// Pass 2: rewrite every file that holds one of them.
	for _, f := range seen {
		if !f.holdsAny(targets) {
			continue
		}
		if _, rotated := report.RotatedAt(filepath.Base(f.path)); !rotated && !opt.CollectorStopped {
			res.Pending = append(res.Pending, f.path)
			continue
		}
		n, err := rewrite(f.path, targets)
		if err != nil {
			return res, err
		}
		res.FilesRewritten++
		res.LinesRemoved += n
	}
	return res, nil
}

// fileIDs is a data file and the installation ids it holds.
type fileIDs struct {
	path string
	ids  map[string]bool
}

func (f fileIDs) holdsAny(targets map[string]bool) bool {
	for id := range f.ids {
		if targets[id] {
			return true
		}
	}
	return false
}

// dataFiles lists the files the report would read: *.json, *.jsonl and *.ndjson, not hidden,
// regular, under dir.
func dataFiles(dir string, warn func(string)) ([]string, error) {
	info, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("erase: %w", err)
	}
	if !info.IsDir() {
		return nil, fmt.Errorf("erase: %s is not a directory", dir)
	}
	var out []string
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			warn(fmt.Sprintf("%s: %v (skipped)", path, err))
			if d != nil && d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		name := d.Name()
		if d.Type().IsRegular() && !strings.HasPrefix(name, ".") {
			switch strings.ToLower(filepath.Ext(name)) {
			case ".json", ".jsonl", ".ndjson":
				out = append(out, path)
			}
		}
		return nil
	})
	sort.Strings(out)
	return out, err
}

// idMarker precedes an installation id in the collector's OTLP JSON.
var idMarker = []byte(`"key":"` + schema.ResInstallationID + `","value":{"stringValue":"`)

// scanFile returns the ids that sent an erasure request in the file, and every installation
// id the file holds.
func scanFile(path string) (requests []string, ids map[string]bool, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	ids = map[string]bool{}
	err = eachLine(f, func(line []byte) error {
		for _, id := range lineIDs(line) {
			ids[id] = true
		}
		if bytes.Contains(line, []byte(`"`+schema.EventErasure+`"`)) {
			requests = append(requests, lineRequests(line)...)
		}
		return nil
	})
	return requests, ids, err
}

// errLineTooLong is a line longer than any the collector writes: damage that the rewrite
// cannot cut apart, so the file is left as it is.
var errLineTooLong = fmt.Errorf("erase: a line is longer than %d bytes", maxLine)

// eachLine calls fn for each line of r, without its line end.
func eachLine(r io.Reader, fn func([]byte) error) error {
	br := bufio.NewReaderSize(r, 64<<10)
	var line []byte
	for {
		chunk, err := br.ReadSlice('\n')
		if len(line)+len(chunk) > maxLine {
			return errLineTooLong
		}
		line = append(line, chunk...)
		if err == bufio.ErrBufferFull {
			continue
		}
		if t := bytes.TrimRight(line, "\r\n"); len(t) > 0 {
			if ferr := fn(t); ferr != nil {
				return ferr
			}
		}
		line = line[:0]
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// lineIDs finds every installation id in a line, in the form the collector writes, lower-cased.
func lineIDs(line []byte) []string {
	var out []string
	for rest := line; ; {
		i := bytes.Index(rest, idMarker)
		if i < 0 {
			return out
		}
		rest = rest[i+len(idMarker):]
		end := bytes.IndexByte(rest, '"')
		if end < 0 {
			return out
		}
		if u, ok := uuidx.Parse(rest[:end]); ok {
			out = append(out, uuidString(u))
		}
		rest = rest[end:]
	}
}

// otlpResource is what the rewrite reads of one resourceLogs or resourceMetrics entry.
type otlpResource struct {
	Resource struct {
		Attributes []struct {
			Key   string `json:"key"`
			Value struct {
				StringValue *string `json:"stringValue"`
			} `json:"value"`
		} `json:"attributes"`
	} `json:"resource"`
	ScopeLogs []struct {
		LogRecords []struct {
			EventName string `json:"eventName"`
		} `json:"logRecords"`
	} `json:"scopeLogs"`
}

// installID returns the entry's app.installation.id, lower-cased, or "".
func (r *otlpResource) installID() string {
	for _, a := range r.Resource.Attributes {
		if a.Key == schema.ResInstallationID && a.Value.StringValue != nil {
			if u, ok := uuidx.Parse([]byte(*a.Value.StringValue)); ok {
				return uuidString(u)
			}
		}
	}
	return ""
}

// resourceKeys are the arrays of an OTLP JSON export request that hold resources.
var resourceKeys = []string{"resourceLogs", "resource_logs", "resourceMetrics", "resource_metrics",
	"resourceSpans", "resource_spans"}

// lineRequests returns the installation ids of the entries of a line that hold an erasure
// request.
func lineRequests(line []byte) []string {
	var top map[string]json.RawMessage
	if json.Unmarshal(line, &top) != nil {
		return nil
	}
	var out []string
	for _, k := range resourceKeys {
		var entries []otlpResource
		if json.Unmarshal(top[k], &entries) != nil {
			continue
		}
		for _, e := range entries {
			id := e.installID()
			if id == "" {
				continue
			}
			for _, sl := range e.ScopeLogs {
				for _, rec := range sl.LogRecords {
					if rec.EventName == schema.EventErasure && !slices.Contains(out, id) {
						out = append(out, id)
					}
				}
			}
		}
	}
	return out
}

// erasedID replaces an id left in free text (another install's record that quotes it).
const erasedID = "00000000-0000-0000-0000-000000000000"

// filterLine removes from one line every resource entry of the targets. It returns the line
// to keep (nil to drop it) and whether it changed. A line that holds no target is kept byte
// for byte; a damaged line that holds one is dropped, since it cannot be cut apart, but for a
// whole request written after a tear (filterTorn).
func filterLine(line []byte, targets map[string]bool) ([]byte, bool) {
	hit := false
	for _, id := range lineIDs(line) {
		if targets[id] {
			hit = true
			break
		}
	}
	if !hit && !containsAnyText(line, targets) {
		return line, false
	}
	var top map[string]json.RawMessage
	if json.Unmarshal(line, &top) != nil {
		return filterTorn(line, targets), true
	}
	left := 0
	for _, k := range resourceKeys {
		raw, ok := top[k]
		if !ok {
			continue
		}
		var entries []json.RawMessage
		if json.Unmarshal(raw, &entries) != nil {
			return nil, true
		}
		kept := entries[:0]
		for _, e := range entries {
			var r otlpResource
			if json.Unmarshal(e, &r) != nil || targets[r.installID()] {
				continue
			}
			kept = append(kept, e)
		}
		left += len(kept)
		b, _ := json.Marshal(kept)
		top[k] = b
	}
	if left == 0 {
		return nil, true
	}
	out, err := json.Marshal(top)
	if err != nil {
		return nil, true
	}
	for id := range targets {
		out = bytesReplaceFold(out, id, erasedID)
	}
	return out, true
}

// requestStart is how every request the collector writes begins.
var requestStart = []byte(`{"resource`)

// filterTorn filters a line that is not one JSON value: a request cut short by a collector
// killed mid-write, then the next request it wrote after its restart, appended to the same
// line (the report reads that whole request). The whole request is filtered as any line. The
// torn piece is dropped: its client was never told it arrived and sends it again, and it may
// end in the first characters of an id to erase. A line with no whole request after a tear is
// dropped.
func filterTorn(line []byte, targets map[string]bool) []byte {
	for i := 1; i < len(line); i++ {
		j := bytes.Index(line[i:], requestStart)
		if j < 0 {
			return nil
		}
		i += j
		if json.Valid(line[i:]) {
			out, _ := filterLine(line[i:], targets)
			return out
		}
	}
	return nil
}

// containsAnyText reports whether the line holds one of the ids anywhere, in any case.
func containsAnyText(line []byte, targets map[string]bool) bool {
	lower := asciiLower(line)
	for id := range targets {
		if bytes.Contains(lower, []byte(id)) {
			return true
		}
	}
	return false
}

// bytesReplaceFold replaces every occurrence of id (lower-case) in b, in any case, by with.
func bytesReplaceFold(b []byte, id, with string) []byte {
	lower := asciiLower(b)
	for {
		i := bytes.Index(lower, []byte(id))
		if i < 0 {
			return b
		}
		copy(b[i:], with)
		copy(lower[i:], with)
	}
}

// asciiLower is b with A-Z lower-cased and every other byte as it is: the same length, so
// that offsets in it are offsets in b (ids are ASCII).
func asciiLower(b []byte) []byte {
	out := make([]byte, len(b))
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		out[i] = c
	}
	return out
}

// rewrite writes path again without the targets' records, atomically, and returns how many
// lines it removed or changed.
func rewrite(path string, targets map[string]bool) (int, error) {
	in, err := os.Open(path)
	if err != nil {
		return 0, fmt.Errorf("erase: %w", err)
	}
	defer in.Close()
	info, err := in.Stat()
	if err != nil {
		return 0, fmt.Errorf("erase: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".erase-*")
	if err != nil {
		return 0, fmt.Errorf("erase: %w", err)
	}
	defer os.Remove(tmp.Name()) // after a successful rename, there is nothing left to remove
	w := bufio.NewWriterSize(tmp, 64<<10)
	changed := 0
	err = eachLine(in, func(line []byte) error {
		out, ch := filterLine(line, targets)
		if ch {
			changed++
		}
		if out == nil {
			return nil
		}
		if _, err := w.Write(out); err != nil {
			return err
		}
		return w.WriteByte('\n')
	})
	if err == nil {
		err = w.Flush()
	}
	if err == nil {
		err = tmp.Chmod(info.Mode().Perm())
		keepOwner(tmp, info)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return 0, fmt.Errorf("erase: rewrite %s: %w", path, err)
	}
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		d.Sync()
		d.Close()
	}
	return changed, nil
}

// LockName is the file that keeps two runs from working on one directory at once.
const LockName = ".waymark-erase.lock"

// staleLock is how old a lock may grow before a run takes it over: a run that crashed.
const staleLock = 6 * time.Hour

// lockDir claims the directory for this run (an exclusive create), and returns the release.
func lockDir(dir string) (func(), error) {
	path := filepath.Join(dir, LockName)
	for range 2 {
		f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
		if err == nil {
			f.Close()
			return func() { os.Remove(path) }, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("erase: lock: %w", err)
		}
		if fi, err := os.Stat(path); err == nil && time.Since(fi.ModTime()) > staleLock {
			os.Remove(path)
			continue
		}
		break
	}
	return nil, fmt.Errorf("erase: another waymark erase works on %s (%s exists; remove it if none runs)", dir, path)
}

// loadRegistry reads the registry, or makes a new one with a fresh salt.
func loadRegistry(dir string) (report.Erased, error) {
	reg, err := report.ReadErased(dir)
	if err != nil {
		return reg, fmt.Errorf("erase: %w", err)
	}
	if reg.Salt == "" && len(reg.Hashes) == 0 {
		salt := make([]byte, 32)
		if _, err := rand.Read(salt); err != nil {
			return reg, fmt.Errorf("erase: salt: %w", err)
		}
		reg.Salt = hex.EncodeToString(salt)
	}
	return reg, nil
}

// saveRegistry writes the registry atomically, readable by its owner only.
func saveRegistry(dir string, reg report.Erased) error {
	b, err := json.MarshalIndent(reg, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, RegistryName+".*")
	if err != nil {
		return fmt.Errorf("erase: %w", err)
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.Write(append(b, '\n'))
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), filepath.Join(dir, RegistryName))
	}
	if err != nil {
		return fmt.Errorf("erase: registry: %w", err)
	}
	return nil
}

// uuidString is the canonical lower-case text of u.
func uuidString(u [16]byte) string {
	var b [36]byte
	hex.Encode(b[0:8], u[0:4])
	b[8] = '-'
	hex.Encode(b[9:13], u[4:6])
	b[13] = '-'
	hex.Encode(b[14:18], u[6:8])
	b[18] = '-'
	hex.Encode(b[19:23], u[8:10])
	b[23] = '-'
	hex.Encode(b[24:], u[10:])
	return string(b[:])
}
