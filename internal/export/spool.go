package export

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/waymarkhq/waymark/internal/schema"
	"github.com/waymarkhq/waymark/internal/statedir"
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
//
// The values are written into spool entry names and must never change: a
// spool written by an earlier version (0.1.0 used these same values) is
// delivered by this one.
const (
	KindMilestone   Kind = 1
	KindErrorReport Kind = 2
	KindUsage       Kind = 3
	KindHeartbeat   Kind = 4
	KindMetrics     Kind = 5
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
func (k Kind) keep() bool {
	for _, e := range schema.Events {
		if Kind(e.Kind) == k {
			return e.Tier == schema.Kept
		}
	}
	return false
}

const (
	defaultSpoolCap    = 1 << 20
	defaultSpoolMaxAge = 30 * 24 * time.Hour
)

// ErrSpoolFull reports that an entry was not kept because the spool is at its
// cap with entries that rank above it, or because the entry alone exceeds the cap.
var ErrSpoolFull = errors.New("export: spool full")

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
	dir    *statedir.Dir
	cap    int64
	maxAge time.Duration
	now    func() time.Time
}

// OpenSpool returns the spool kept in the state dir. It does no I/O: the
// spool folder is created by the first Append.
func OpenSpool(dir *statedir.Dir, opt SpoolOptions) *Spool {
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
	// A temp file still being written by statedir.WriteFileAtomic is left alone
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
	// Built by hand: this runs on the host's path, and fmt's first use
	// there costs more than the name.
	b := make([]byte, 0, entryNameLen)
	b = appendHex(b, uint64(at), 16)
	b = append(b, '-')
	b = strconv.AppendUint(b, uint64(kind), 10)
	b = strconv.AppendUint(b, uint64(sig), 10)
	b = append(b, '-')
	b = appendHex(b, uint64(uint32(size)), 8)
	b = append(b, '-')
	b = appendHex(b, rnd, 16)
	return string(append(b, entryExt...))
}

// appendHex appends the low digits hex digits of v, zero-padded.
func appendHex(b []byte, v uint64, digits int) []byte {
	const hexDigits = "0123456789abcdef"
	for i := digits - 1; i >= 0; i-- {
		b = append(b, hexDigits[v>>(4*i)&0xf])
	}
	return b
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

func encodeEntry(kind Kind, sig Signal, payload []byte) []byte {
	b := make([]byte, headerLen+len(payload))
	copy(b, entryMagic)
	b[4], b[5], b[6] = entryVersion, byte(kind), byte(sig)
	binary.BigEndian.PutUint32(b[8:], uint32(len(payload)))
	copy(b[headerLen:], payload)
	binary.BigEndian.PutUint32(b[12:], crcIEEE(crcIEEE(0, b[4:12]), payload))
	return b
}

// crcIEEE is crc32.Update(crc, crc32.IEEETable, p), summed a byte at a time
// from the table the package builds at init. crc32's own fast path first
// builds 8 KiB more of tables, which costs the host's first run more than
// summing an entry of a few hundred bytes this way.
func crcIEEE(crc uint32, p []byte) uint32 {
	crc = ^crc
	for _, v := range p {
		crc = crc32.IEEETable[byte(crc)^v] ^ crc>>8
	}
	return ^crc
}

var errCorrupt = errors.New("export: corrupt spool entry")

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
// new entry, creating the spool folder (0700) if needed. It costs one file
// write however many entries the spool holds: dropping old entries and
// enforcing the cap are Maintain's work, done by the uploader off the host's
// path. An entry larger than the cap is refused with ErrSpoolFull.
func (s *Spool) Append(kind Kind, sig Signal, payload []byte) error {
	if !kind.valid() || !sig.valid() {
		return fmt.Errorf("export: spool append: invalid kind %v or signal %v", kind, sig)
	}
	if len(payload) == 0 {
		return errors.New("export: spool append: empty payload")
	}
	data := encodeEntry(kind, sig, payload)
	if int64(len(data)) > s.cap || int64(len(data)) > 1<<32-1 {
		return fmt.Errorf("%w: entry of %d bytes exceeds the cap of %d", ErrSpoolFull, len(data), s.cap)
	}
	name := entryName(s.now().UnixNano(), kind, sig, int64(len(data)), rand.Uint64())
	if err := s.dir.SpoolWrite(name, data); err != nil {
		return fmt.Errorf("export: spool append: %w", err)
	}
	return nil
}

// Maintain drops entries older than MaxAge and stale temporary files, then,
// while the spool is over its cap, evicts usage, heartbeat and metrics
// entries oldest-first before milestones and error reports. It reads the
// whole spool, so it runs in the uploader, never on the host's path.
func (s *Spool) Maintain() error {
	return s.enforce(s.now(), "")
}

// enforce applies MaxAge and the cap; it never removes `protect` unless
// nothing ranking at or below it is left to evict.
func (s *Spool) enforce(now time.Time, protect string) error {
	refs, junk, err := s.scan(now)
	if err != nil {
		return fmt.Errorf("export: spool: %w", err)
	}
	s.removeAll(junk)
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
		if err := s.dir.SpoolRemove(r.name); err != nil {
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
// with stale temp files, for the caller to remove; a fresh temp file (an
// Append in progress elsewhere) is ignored, and so is anything in the folder
// that Waymark did not name. A missing folder is an empty spool.
func (s *Spool) scan(now time.Time) (refs []entryRef, junk []string, err error) {
	names, err := s.dir.SpoolList(0)
	if err != nil {
		return nil, nil, err
	}
	oldest := now.Add(-s.maxAge).UnixNano()
	for _, name := range names {
		if base, ok := statedir.SpoolTemp(name); ok {
			at := int64(0)
			if r, ok := parseEntryName(base); ok {
				at = r.at
			} else if fi, err := s.dir.SpoolEntryInfo(name); err == nil {
				at = fi.ModTime().UnixNano() // a kind a newer version knows
			}
			if now.UnixNano()-at < int64(staleTemp) {
				continue
			}
			junk = append(junk, name)
			continue
		}
		r, ok := parseEntryName(name)
		if !ok {
			continue // shaped like ours but not ours: leave it alone
		}
		if r.at < oldest {
			junk = append(junk, name)
			continue
		}
		refs = append(refs, r)
	}
	sort.Sort(refsByName(refs))
	return refs, junk, nil
}

// refsByName sorts entries by name through sort.Sort, which the host has
// linked already; sort.Slice would link its reflection-based swapper and a
// second copy of the sorting code (12 KB).
type refsByName []entryRef

func (r refsByName) Len() int           { return len(r) }
func (r refsByName) Less(i, j int) bool { return r[i].name < r[j].name }
func (r refsByName) Swap(i, j int)      { r[i], r[j] = r[j], r[i] }

func (s *Spool) removeAll(names []string) {
	for _, n := range names {
		s.dir.SpoolRemove(n)
	}
}

// HasPending reports whether the spool holds at least one entry. It looks at
// a bounded number of names only (foreign files in the folder cannot hide
// entries behind the first few), so it costs the same whatever the spool holds.
func (s *Spool) HasPending() bool {
	names, err := s.dir.SpoolList(256)
	if err != nil {
		return false
	}
	for _, n := range names {
		if _, ok := parseEntryName(n); ok {
			return true
		}
	}
	return false
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

// Events is how many of the pending entries are events (each entry of the
// logs signal holds one); the rest are batches of metric counts.
func (st SpoolStat) Events() int { return st.Pending - st.ByKind[KindMetrics] }

// Stat reports what the spool holds, from the entries' names alone. It
// never creates, changes or removes anything: a missing directory is an empty
// spool. Entries older than MaxAge, which will be dropped unsent, are not
// counted.
func (s *Spool) Stat() (SpoolStat, error) {
	st := SpoolStat{ByKind: map[Kind]int{}}
	refs, _, err := s.scan(s.now())
	if err != nil {
		return st, fmt.Errorf("export: spool stat: %w", err)
	}
	for _, r := range refs {
		st.Pending++
		st.Bytes += r.size
		st.ByKind[r.kind]++
	}
	return st, nil
}

// Clear removes every entry of the spool and the temporary files of
// entries being written; nothing else in the folder is touched.
func (s *Spool) Clear() error {
	names, err := s.dir.SpoolList(0)
	if err != nil {
		return fmt.Errorf("export: spool clear: %w", err)
	}
	var errs []error
	for _, n := range names {
		if err := s.dir.SpoolRemove(n); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("export: spool clear: %w", errors.Join(errs...))
	}
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
		return nil, fmt.Errorf("export: spool read: %w", err)
	}
	s.removeAll(junk)
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
		if err != nil && !errors.Is(err, errCorrupt) {
			continue // unreadable just now: kept for a later upload
		}
		if err != nil || kind != r.kind || gotSig != r.sig {
			s.dir.SpoolRemove(r.name)
			continue
		}
		out = append(out, spoolEntry{entryRef: r, payload: payload})
		used += len(payload)
	}
	return out, nil
}

// read returns an entry's payload, or errCorrupt when the file does not match
// its name or its checksum; it never reads more than the name promises. An
// entry that cannot be opened or read just now (on Windows, while another
// process has it open without sharing: a writer's rename, a virus scanner)
// is an error other than errCorrupt: it stays for a later upload.
func (s *Spool) read(r entryRef) (Kind, Signal, []byte, error) {
	b, err := s.dir.SpoolRead(r.name, r.size)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, 0, nil, err
	}
	if err != nil && !errors.Is(err, statedir.ErrTooLarge) && !errors.Is(err, statedir.ErrUnsafe) {
		return 0, 0, nil, err
	}
	if err != nil || int64(len(b)) != r.size {
		return 0, 0, nil, errCorrupt
	}
	return decodeEntry(b)
}

// remove deletes delivered or dropped entries; one already gone is fine.
func (s *Spool) remove(entries []spoolEntry) error {
	var errs []error
	for _, e := range entries {
		if err := s.dir.SpoolRemove(e.name); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("export: spool remove: %w", errors.Join(errs...))
	}
	return nil
}
