package exporter

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/waymarkhq/waymark/internal/fsx"
)

// Signal is the OTLP signal an encoded payload belongs to.
type Signal uint8

// The signals Waymark sends. The zero Signal is invalid.
const (
	Logs Signal = iota + 1
	Metrics
)

// Path returns the OTLP/HTTP path of the signal ("/v1/logs" or "/v1/metrics"),
// or "" for an invalid signal.
func (s Signal) Path() string {
	switch s {
	case Logs:
		return "/v1/logs"
	case Metrics:
		return "/v1/metrics"
	}
	return ""
}

// String returns "logs" or "metrics".
func (s Signal) String() string {
	switch s {
	case Logs:
		return "logs"
	case Metrics:
		return "metrics"
	}
	return "signal(" + strconv.Itoa(int(s)) + ")"
}

func (s Signal) valid() bool { return s == Logs || s == Metrics }

// Kind says what a spool entry holds; it decides which entries a full spool
// gives up first. The zero Kind is invalid.
type Kind uint8

// Milestones and error reports cannot be produced again, so they are kept
// longest; usage pings, heartbeats and metric deltas are evicted first.
const (
	KindMilestone Kind = iota + 1
	KindErrorReport
	KindUsage
	KindHeartbeat
	KindMetrics
)

// String returns the kind's name as shown by status, e.g. "milestone".
func (k Kind) String() string {
	switch k {
	case KindMilestone:
		return "milestone"
	case KindErrorReport:
		return "error_report"
	case KindUsage:
		return "usage"
	case KindHeartbeat:
		return "heartbeat"
	case KindMetrics:
		return "metrics"
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

func (k Kind) valid() bool { return k >= KindMilestone && k <= KindMetrics }

// keep reports whether the kind belongs to the tier evicted last.
func (k Kind) keep() bool { return k == KindMilestone || k == KindErrorReport }

const (
	defaultSpoolCap    = 1 << 20
	defaultSpoolMaxAge = 30 * 24 * time.Hour
)

// ErrSpoolFull reports that an entry was not kept because the spool is at its
// cap with entries that rank above it, or because the entry alone exceeds the cap.
var ErrSpoolFull = errors.New("exporter: spool full")

// SpoolOptions configures a Spool. The zero value gives the defaults.
type SpoolOptions struct {
	// Cap, if positive, is the most bytes the spool's entries may take on
	// disk, headers included. Default 1 MiB.
	Cap int64
	// MaxAge, if positive, is how old an entry may grow before it is dropped
	// unsent. Default 30 days.
	MaxAge time.Duration
	// Now, if set, is the clock used to name and age entries. Default time.Now.
	Now func() time.Time
}

// Spool is a durable, bounded queue of encoded OTLP payloads waiting for
// delivery: one file per entry in one directory, shared safely by any number
// of goroutines and processes. A Spool never sends anything.
type Spool struct {
	dir    string
	cap    int64
	maxAge time.Duration
	now    func() time.Time
}

// OpenSpool returns the spool kept in dir (normally <statedir>/spool). It does
// no I/O: the directory is created by the first Append.
func OpenSpool(dir string, opt SpoolOptions) *Spool {
	s := &Spool{dir: dir, cap: opt.Cap, maxAge: opt.MaxAge, now: opt.Now}
	if s.cap <= 0 {
		s.cap = defaultSpoolCap
	}
	if s.maxAge <= 0 {
		s.maxAge = defaultSpoolMaxAge
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s
}

// On-disk entry layout: a 16-byte header, then the payload.
//
//	0  magic "WMSP"
//	4  format version (1)
//	5  kind
//	6  signal
//	7  reserved, zero
//	8  payload length, uint32 big-endian
//	12 CRC-32 (IEEE) of bytes 4..12 and the payload, uint32 big-endian
const (
	entryMagic   = "WMSP"
	entryVersion = 1
	headerLen    = 16
	entryExt     = ".spool"
	// <16 hex ns>-<kind><signal>-<8 hex file size>-<16 hex random>.spool
	entryNameLen = 16 + 1 + 2 + 1 + 8 + 1 + 16 + len(entryExt)
	// A temp file still being written by fsx.WriteFileAtomic is left alone
	// for this long; after that it is a crash leftover.
	staleTemp = time.Minute
)

// entryRef is what an entry's file name says about it.
type entryRef struct {
	name string
	at   int64 // unix nanoseconds
	kind Kind
	sig  Signal
	size int64 // file size, header included
}

func entryName(at int64, kind Kind, sig Signal, size int64, rnd uint64) string {
	if at < 0 {
		at = 0
	}
	return fmt.Sprintf("%016x-%d%d-%08x-%016x%s", uint64(at), kind, sig, uint32(size), rnd, entryExt)
}

// parseEntryName accepts only names entryName produces, byte for byte.
func parseEntryName(name string) (entryRef, bool) {
	if len(name) != entryNameLen || !strings.HasSuffix(name, entryExt) ||
		name[16] != '-' || name[19] != '-' || name[28] != '-' {
		return entryRef{}, false
	}
	at, err1 := strconv.ParseUint(name[0:16], 16, 64)
	size, err2 := strconv.ParseUint(name[20:28], 16, 32)
	rnd, err3 := strconv.ParseUint(name[29:45], 16, 64)
	if err1 != nil || err2 != nil || err3 != nil || at > 1<<63-1 {
		return entryRef{}, false
	}
	kind, sig := Kind(name[17]-'0'), Signal(name[18]-'0')
	if !kind.valid() || !sig.valid() || size < headerLen+1 {
		return entryRef{}, false
	}
	if entryName(int64(at), kind, sig, int64(size), rnd) != name {
		return entryRef{}, false
	}
	return entryRef{name: name, at: int64(at), kind: kind, sig: sig, size: int64(size)}, true
}

// tempBase returns the entry name inside a temp file name made by
// fsx.WriteFileAtomic ("." + base + ".tmp-" + digits).
func tempBase(name string) (string, bool) {
	i := strings.LastIndex(name, ".tmp-")
	if !strings.HasPrefix(name, ".") || i < 1 {
		return "", false
	}
	return name[1:i], true
}

func encodeEntry(kind Kind, sig Signal, payload []byte) []byte {
	b := make([]byte, headerLen+len(payload))
	copy(b, entryMagic)
	b[4], b[5], b[6] = entryVersion, byte(kind), byte(sig)
	binary.BigEndian.PutUint32(b[8:], uint32(len(payload)))
	copy(b[headerLen:], payload)
	crc := crc32.Update(crc32.ChecksumIEEE(b[4:12]), crc32.IEEETable, payload)
	binary.BigEndian.PutUint32(b[12:], crc)
	return b
}

var errCorrupt = errors.New("exporter: corrupt spool entry")

// decodeEntry checks a whole entry file and returns its payload. It never
// panics on any input.
func decodeEntry(b []byte) (Kind, Signal, []byte, error) {
	if len(b) < headerLen || string(b[:4]) != entryMagic || b[4] != entryVersion || b[7] != 0 {
		return 0, 0, nil, errCorrupt
	}
	kind, sig := Kind(b[5]), Signal(b[6])
	n := binary.BigEndian.Uint32(b[8:])
	if !kind.valid() || !sig.valid() || uint64(len(b)-headerLen) != uint64(n) {
		return 0, 0, nil, errCorrupt
	}
	payload := b[headerLen:]
	crc := crc32.Update(crc32.ChecksumIEEE(b[4:12]), crc32.IEEETable, payload)
	if crc != binary.BigEndian.Uint32(b[12:]) {
		return 0, 0, nil, errCorrupt
	}
	return kind, sig, payload, nil
}

// Append stores one encoded payload (a LogsData or MetricsData message) as a
// new entry, creating the spool directory (0700) if needed. It then drops
// entries older than MaxAge and, while the spool is over its cap, evicts
// usage, heartbeat and metrics entries oldest-first before milestones and
// error reports. The new entry goes last in its own tier, so it is evicted
// only when the spool holds nothing of that tier or below; it is then removed
// and Append returns an error wrapping ErrSpoolFull, as it does, without
// writing, for an entry larger than the cap.
func (s *Spool) Append(kind Kind, sig Signal, payload []byte) error {
	if !kind.valid() || !sig.valid() {
		return fmt.Errorf("exporter: spool append: invalid kind %v or signal %v", kind, sig)
	}
	if len(payload) == 0 {
		return errors.New("exporter: spool append: empty payload")
	}
	data := encodeEntry(kind, sig, payload)
	if int64(len(data)) > s.cap || int64(len(data)) > 1<<32-1 {
		return fmt.Errorf("%w: entry of %d bytes exceeds the cap of %d", ErrSpoolFull, len(data), s.cap)
	}
	now := s.now()
	name := entryName(now.UnixNano(), kind, sig, int64(len(data)), rand.Uint64())
	path := filepath.Join(s.dir, name)
	err := fsx.WriteFileAtomic(path, data, 0o600)
	if err != nil && errors.Is(err, fs.ErrNotExist) {
		if mkErr := os.MkdirAll(s.dir, 0o700); mkErr != nil {
			return fmt.Errorf("exporter: spool append: %w", mkErr)
		}
		err = fsx.WriteFileAtomic(path, data, 0o600)
	}
	if err != nil {
		return fmt.Errorf("exporter: spool append: %w", err)
	}
	return s.enforce(now, name)
}

// enforce applies MaxAge and the cap; it never removes `protect` unless
// nothing ranking at or below it is left to evict.
func (s *Spool) enforce(now time.Time, protect string) error {
	refs, junk, err := s.scan(now)
	if err != nil {
		return fmt.Errorf("exporter: spool: %w", err)
	}
	removeAll(s.dir, junk)
	var total int64
	var self *entryRef
	var low, high []entryRef
	for i := range refs {
		r := refs[i]
		total += r.size
		switch {
		case r.name == protect:
			self = &refs[i]
		case r.kind.keep():
			high = append(high, r)
		default:
			low = append(low, r)
		}
	}
	if total <= s.cap {
		return nil
	}
	// refs are oldest-first, so low and high are too.
	order := low
	if self != nil && !self.kind.keep() {
		order = append(order, *self)
	}
	order = append(order, high...)
	if self != nil && self.kind.keep() {
		order = append(order, *self)
	}
	var selfEvicted bool
	for _, r := range order {
		if total <= s.cap {
			break
		}
		if err := os.Remove(filepath.Join(s.dir, r.name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			continue
		}
		total -= r.size
		if r.name == protect {
			selfEvicted = true
		}
	}
	if selfEvicted {
		return fmt.Errorf("%w: entry evicted in favour of older entries that rank above it", ErrSpoolFull)
	}
	return nil
}

// scan lists the spool oldest-first. Entries past MaxAge are returned in junk
// with foreign files and stale temp files, for the caller to remove; a fresh
// temp file (an Append in progress elsewhere) and directories are ignored.
// A missing directory is an empty spool.
func (s *Spool) scan(now time.Time) (refs []entryRef, junk []string, err error) {
	des, err := os.ReadDir(s.dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	oldest := now.Add(-s.maxAge).UnixNano()
	for _, de := range des {
		name := de.Name()
		if de.IsDir() {
			continue
		}
		if base, ok := tempBase(name); ok {
			if r, ok := parseEntryName(base); ok && now.UnixNano()-r.at < int64(staleTemp) {
				continue
			}
			junk = append(junk, name)
			continue
		}
		r, ok := parseEntryName(name)
		if !ok || !de.Type().IsRegular() {
			junk = append(junk, name)
			continue
		}
		if r.at < oldest {
			junk = append(junk, name)
			continue
		}
		refs = append(refs, r)
	}
	// os.ReadDir sorts by name, and names start with the fixed-width time.
	return refs, junk, nil
}

func removeAll(dir string, names []string) {
	for _, n := range names {
		os.Remove(filepath.Join(dir, n))
	}
}

// SpoolStat describes what a spool holds.
type SpoolStat struct {
	// Pending is the number of entries waiting for delivery.
	Pending int
	// Bytes is their size on disk.
	Bytes int64
	// ByKind counts the pending entries of each kind.
	ByKind map[Kind]int
}

// Stat reports what the spool holds, from the entries' names alone. It
// never creates, changes or removes anything: a missing directory is an empty
// spool. Entries older than MaxAge, which will be dropped unsent, are not
// counted.
func (s *Spool) Stat() (SpoolStat, error) {
	st := SpoolStat{ByKind: map[Kind]int{}}
	refs, _, err := s.scan(s.now())
	if err != nil {
		return st, fmt.Errorf("exporter: spool stat: %w", err)
	}
	for _, r := range refs {
		st.Pending++
		st.Bytes += r.size
		st.ByKind[r.kind]++
	}
	return st, nil
}

// Clear removes every file in the spool, then the directory itself if it is
// empty. A missing directory is not an error.
func (s *Spool) Clear() error {
	des, err := os.ReadDir(s.dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("exporter: spool clear: %w", err)
	}
	var errs []error
	for _, de := range des {
		if de.IsDir() {
			continue
		}
		if err := os.Remove(filepath.Join(s.dir, de.Name())); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("exporter: spool clear: %w", errors.Join(errs...))
	}
	os.Remove(s.dir) // fails harmlessly if something else lives there
	return nil
}

// spoolEntry is one entry read back for delivery.
type spoolEntry struct {
	entryRef
	payload []byte
}

// batch returns the oldest entries of sig whose payloads fit together in
// budget bytes (at least one entry, however large, so an oversized entry is
// still tried and, if refused, dropped rather than blocking the queue).
// Expired, corrupt, foreign and stale temp files met on the way are removed.
func (s *Spool) batch(sig Signal, budget int) ([]spoolEntry, error) {
	refs, junk, err := s.scan(s.now())
	if err != nil {
		return nil, fmt.Errorf("exporter: spool read: %w", err)
	}
	removeAll(s.dir, junk)
	var out []spoolEntry
	used := 0
	for _, r := range refs {
		if r.sig != sig {
			continue
		}
		plen := int(r.size - headerLen)
		if len(out) > 0 && used+plen > budget {
			break
		}
		kind, gotSig, payload, err := s.read(r)
		if errors.Is(err, fs.ErrNotExist) {
			continue // evicted by an Append meanwhile
		}
		if err != nil || kind != r.kind || gotSig != r.sig {
			os.Remove(filepath.Join(s.dir, r.name))
			continue
		}
		out = append(out, spoolEntry{entryRef: r, payload: payload})
		used += len(payload)
	}
	return out, nil
}

// read returns an entry's payload, or errCorrupt when the file does not match
// its name or its checksum; it never reads more than the name promises.
func (s *Spool) read(r entryRef) (Kind, Signal, []byte, error) {
	f, err := os.Open(filepath.Join(s.dir, r.name))
	if err != nil {
		return 0, 0, nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return 0, 0, nil, err
	}
	if fi.Size() != r.size {
		return 0, 0, nil, errCorrupt
	}
	b := make([]byte, r.size)
	if _, err := io.ReadFull(f, b); err != nil {
		return 0, 0, nil, errCorrupt
	}
	return decodeEntry(b)
}

// remove deletes delivered or dropped entries; one already gone is fine.
func (s *Spool) remove(entries []spoolEntry) error {
	var errs []error
	for _, e := range entries {
		if err := os.Remove(filepath.Join(s.dir, e.name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("exporter: spool remove: %w", errors.Join(errs...))
	}
	return nil
}
