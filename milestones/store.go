package milestones

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/waymarkhq/waymark/internal/fsx"
	"github.com/waymarkhq/waymark/internal/uuidx"
)

// Names of the files this package owns in the state directory.
const (
	deviceIDFile    = "device_id"
	milestonesFile  = "milestones.json"
	modeFile        = "mode"
	noticeFile      = "notice_shown"
	lockFile        = "lock"
	ticketPrefix    = "ticket-"
	defaultLockWait = time.Second
	filePerm        = 0o600
	dirPerm         = 0o700
)

// Store is the local state in one state directory. Its methods are safe to
// call from several goroutines and several processes at once: writes are
// atomic and read-modify-write happens under the directory's lock file.
//
// Read-only methods (PeekDeviceID, Recorded, Mode, NoticeShown, LastClaim)
// never create a file or directory. Methods that write create the directory
// (mode 0700) if needed and write files with mode 0600.
type Store struct {
	dir      string
	now      func() time.Time
	lockWait time.Duration
}

// New returns the Store for dir, reading the time from now (time.Now if nil).
// It does no I/O: nothing is created until a method that writes is called.
func New(dir string, now func() time.Time) *Store {
	if now == nil {
		now = time.Now
	}
	return &Store{dir: dir, now: now, lockWait: defaultLockWait}
}

// Dir returns the state directory the Store was made for.
func (s *Store) Dir() string { return s.dir }

// Prepare creates the state directory (mode 0700) if it does not exist and
// proves that it is writable and that its lock file can be opened. Its error
// says which directory and why ("milestones: state dir X is not writable:
// …"), so the caller can turn telemetry off with that reason. A directory that
// already exists keeps its permissions.
func (s *Store) Prepare() error {
	if s.dir == "" {
		return errors.New("milestones: no state dir")
	}
	if err := os.MkdirAll(s.dir, dirPerm); err != nil {
		return fmt.Errorf("milestones: state dir %s is not writable: %w", s.dir, err)
	}
	l, err := fsx.TryLock(s.path(lockFile))
	if err != nil && !errors.Is(err, fsx.ErrLocked) { // held by a peer is fine: it exists
		return fmt.Errorf("milestones: state dir %s is not writable: %w", s.dir, err)
	}
	l.Unlock()
	// The lock file may predate a change of permissions, so also create a file.
	f, err := os.CreateTemp(s.dir, ".probe-*")
	if err != nil {
		return fmt.Errorf("milestones: state dir %s is not writable: %w", s.dir, err)
	}
	name := f.Name()
	f.Close()
	if err := os.Remove(name); err != nil {
		return fmt.Errorf("milestones: state dir %s is not writable: remove probe: %w", s.dir, err)
	}
	return nil
}

// DeviceID returns the installation id: the random UUIDv4 in device_id. If
// the file is missing or does not hold a valid UUID, DeviceID makes a new id
// under the lock (after reading the file again, so that processes racing to
// create it all end with the same id), writes it atomically and reports
// created. Milestones recorded under a previous id no longer count.
func (s *Store) DeviceID() (id string, created bool, err error) {
	if id, ok := s.PeekDeviceID(); ok {
		return id, false, nil
	}
	l, err := s.lock()
	if err != nil {
		return "", false, err
	}
	defer l.Unlock()
	return s.deviceIDLocked()
}

// PeekDeviceID returns the installation id if device_id holds a valid one.
// It never creates or changes anything.
func (s *Store) PeekDeviceID() (string, bool) {
	data, err := s.read(deviceIDFile, maxSmallFile)
	if err != nil {
		return "", false
	}
	id, err := parseDeviceID(data)
	return id, err == nil
}

// ResetDeviceID replaces the installation id with a new random one and
// returns it. Milestones belong to an installation, so they are forgotten
// too (milestones.json is removed); the old id is left nowhere in the state
// directory.
func (s *Store) ResetDeviceID() (string, error) {
	l, err := s.lock()
	if err != nil {
		return "", err
	}
	defer l.Unlock()
	id, err := s.newDeviceIDLocked()
	if err != nil {
		return "", err
	}
	if err := os.Remove(s.path(milestonesFile)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		// The new id already makes the old milestones not count.
		return id, fmt.Errorf("milestones: reset: remove %s: %w", s.path(milestonesFile), err)
	}
	return id, nil
}

// Recorded returns the milestones recorded for the current installation and
// when. It never creates or changes anything. With no device id, no
// milestones.json, or a milestones.json written for another installation id
// it returns an empty map and no error. If milestones.json cannot be read or
// is garbage it returns an empty map and an error describing the problem; if
// only some times are unreadable, those milestones are returned with the
// zero time, along with an error naming them.
func (s *Store) Recorded() (map[string]time.Time, error) {
	out := make(map[string]time.Time)
	id, ok := s.PeekDeviceID()
	if !ok {
		return out, nil
	}
	data, err := s.read(milestonesFile, maxMilestonesFile)
	if errors.Is(err, fs.ErrNotExist) {
		return out, nil
	}
	if err != nil {
		return out, fmt.Errorf("milestones: read %s: %w", s.path(milestonesFile), err)
	}
	r, err := parseMilestones(data)
	if err != nil {
		return out, fmt.Errorf("milestones: %s is garbage: %w", s.path(milestonesFile), err)
	}
	if r.installationID != id {
		return out, nil
	}
	for name, t := range r.at {
		out[name] = t
	}
	if len(r.unreadable) > 0 {
		return out, fmt.Errorf("milestones: %s: unreadable time for %s", s.path(milestonesFile), strings.Join(r.unreadable, ", "))
	}
	return out, nil
}

// Record records milestone name once per installation. Under the lock it
// reads milestones.json again; if name is already recorded for the current
// installation id it returns (false, nil) without calling emit. Otherwise it
// calls emit (nil means nothing to call), in which the caller durably queues
// the milestone's event; if emit fails, nothing is recorded and Record returns
// (false, that error wrapped). It then writes milestones.json atomically with
// name and the current time and returns (true, nil).
//
// The order is deliberate: a crash between emit and the write makes a later
// run emit again, with the same event id (derived from the installation id
// and name), which is recognisable downstream; the reverse order would lose
// the milestone. If the write fails after emit succeeded, Record returns
// false and an error that says so.
//
// emit runs while the state lock is held, so it must be quick (append to a
// queue, never wait on the network) and must not call back into this Store's
// writing methods. If the device id is missing, Record creates it as DeviceID
// does. A garbage milestones.json is replaced by one that holds only name.
func (s *Store) Record(name string, emit func() error) (recorded bool, err error) {
	if name == "" {
		return false, errors.New("milestones: record: empty milestone name")
	}
	l, err := s.lock()
	if err != nil {
		return false, err
	}
	defer l.Unlock()
	id, _, err := s.deviceIDLocked()
	if err != nil {
		return false, err
	}
	r, err := s.readRecordLocked(id)
	if err != nil {
		return false, err
	}
	if _, ok := r.at[name]; ok {
		return false, nil
	}
	if emit != nil {
		if err := emit(); err != nil {
			return false, fmt.Errorf("milestones: record %q: %w", name, err)
		}
	}
	r.at[name] = s.now()
	data, err := formatMilestones(r)
	if err == nil {
		err = fsx.WriteFileAtomic(s.path(milestonesFile), data, filePerm)
	}
	if err != nil {
		return false, fmt.Errorf("milestones: record %q: event queued but not recorded: %w", name, err)
	}
	return true, nil
}

// Mode returns the saved telemetry choice: the content of the mode file
// with surrounding white space removed, or "" if there is none. It does not
// check the value (package gate interprets it) and never creates anything.
func (s *Store) Mode() (string, error) {
	data, err := s.read(modeFile, maxSmallFile)
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("milestones: read %s: %w", s.path(modeFile), err)
	}
	return strings.TrimSpace(string(data)), nil
}

// SetMode saves the user's telemetry choice, which must be "on", "off" or
// "local". It prepares the state directory and replaces the mode file
// atomically; this is one of the few writes allowed while telemetry is off.
func (s *Store) SetMode(mode string) error {
	switch mode {
	case "on", "off", "local":
	default:
		return fmt.Errorf("milestones: set mode: %q is not one of on, off, local", mode)
	}
	if err := s.Prepare(); err != nil {
		return err
	}
	if err := fsx.WriteFileAtomic(s.path(modeFile), []byte(mode+"\n"), filePerm); err != nil {
		return fmt.Errorf("milestones: set mode: %w", err)
	}
	return nil
}

// NoticeShown reports whether the first-run notice has been shown on this
// installation (the notice_shown marker exists). It never creates anything.
func (s *Store) NoticeShown() bool {
	if s.dir == "" {
		return false
	}
	_, err := os.Stat(s.path(noticeFile))
	return err == nil
}

// MarkNoticeShown writes the notice_shown marker, holding the current time.
// Call it only after the notice was printed.
func (s *Store) MarkNoticeShown() error {
	if err := s.mkdir(); err != nil {
		return err
	}
	data := []byte(formatTime(s.now()) + "\n")
	if err := fsx.WriteFileAtomic(s.path(noticeFile), data, filePerm); err != nil {
		return fmt.Errorf("milestones: mark notice shown: %w", err)
	}
	return nil
}

// Claim runs fn at most once per interval across all processes sharing the
// state directory. Under the lock it reads the file ticket-<ticket>; if the
// file is absent or garbage, or its time is interval or more in the past, or
// more than interval in the future (the clock moved back), Claim calls fn (nil
// means nothing to call) and, if fn succeeds, writes the current time to the
// ticket and returns (true, nil). Otherwise it returns (false, nil) without
// calling fn. If fn fails, the ticket is unchanged and the error is returned.
//
// ticket is a short name of lower-case letters, digits, '-' and '_'. fn runs
// while the state lock is held, so it must be quick (queue work, never wait on
// the network) and must not call back into this Store's writing methods.
func (s *Store) Claim(ticket string, interval time.Duration, fn func() error) (claimed bool, err error) {
	if !validTicket(ticket) {
		return false, fmt.Errorf("milestones: claim: invalid ticket name %q", ticket)
	}
	l, err := s.lock()
	if err != nil {
		return false, err
	}
	defer l.Unlock()
	now := s.now()
	name := ticketPrefix + ticket
	data, err := s.read(name, maxSmallFile)
	switch {
	case err == nil:
		if last, perr := parseTicket(data); perr == nil {
			age := now.Sub(last)
			if age < interval && age >= -interval {
				return false, nil
			}
		}
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, tooLargeError{}):
	default:
		return false, fmt.Errorf("milestones: claim %s: read: %w", ticket, err)
	}
	if fn != nil {
		if err := fn(); err != nil {
			return false, fmt.Errorf("milestones: claim %s: %w", ticket, err)
		}
	}
	if err := fsx.WriteFileAtomic(s.path(name), []byte(formatTime(now)+"\n"), filePerm); err != nil {
		return false, fmt.Errorf("milestones: claim %s: ran but not recorded: %w", ticket, err)
	}
	return true, nil
}

// LastClaim returns the time of the last successful Claim of ticket, if its
// ticket file holds a readable time. It never creates anything.
func (s *Store) LastClaim(ticket string) (time.Time, bool) {
	if !validTicket(ticket) {
		return time.Time{}, false
	}
	data, err := s.read(ticketPrefix+ticket, maxSmallFile)
	if err != nil {
		return time.Time{}, false
	}
	t, err := parseTicket(data)
	return t, err == nil
}

// validTicket keeps ticket names to a safe file-name alphabet.
func validTicket(t string) bool {
	if t == "" || len(t) > 64 {
		return false
	}
	for i := 0; i < len(t); i++ {
		c := t[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

func (s *Store) path(name string) string { return filepath.Join(s.dir, name) }

// mkdir creates the state directory if needed, for methods that write.
func (s *Store) mkdir() error {
	if s.dir == "" {
		return errors.New("milestones: no state dir")
	}
	if err := os.MkdirAll(s.dir, dirPerm); err != nil {
		return fmt.Errorf("milestones: state dir %s is not writable: %w", s.dir, err)
	}
	return nil
}

// lock takes the state directory's lock, waiting at most s.lockWait, so a
// stuck peer costs the host program a bounded delay and an error, never a
// hang.
func (s *Store) lock() (*fsx.Lock, error) {
	if err := s.mkdir(); err != nil {
		return nil, err
	}
	l, err := fsx.LockWait(s.path(lockFile), s.lockWait)
	if errors.Is(err, fsx.ErrLocked) {
		return nil, fmt.Errorf("milestones: state dir %s is busy: lock not free within %v: %w", s.dir, s.lockWait, err)
	}
	if err != nil {
		return nil, fmt.Errorf("milestones: lock state dir %s: %w", s.dir, err)
	}
	return l, nil
}

// deviceIDLocked is DeviceID with the lock held.
func (s *Store) deviceIDLocked() (string, bool, error) {
	data, err := s.read(deviceIDFile, maxSmallFile)
	switch {
	case err == nil:
		if id, perr := parseDeviceID(data); perr == nil {
			return id, false, nil
		}
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, tooLargeError{}):
	default:
		// Unreadable for another reason (permissions, I/O): replacing it
		// could fork the installation id, so give up instead.
		return "", false, fmt.Errorf("milestones: read %s: %w", s.path(deviceIDFile), err)
	}
	id, err := s.newDeviceIDLocked()
	if err != nil {
		return "", false, err
	}
	return id, true, nil
}

// newDeviceIDLocked writes a fresh UUIDv4 to device_id; the lock is held.
func (s *Store) newDeviceIDLocked() (string, error) {
	id, err := uuidx.NewV4()
	if err != nil {
		return "", fmt.Errorf("milestones: new device id: %w", err)
	}
	if err := fsx.WriteFileAtomic(s.path(deviceIDFile), formatDeviceID(id), filePerm); err != nil {
		return "", fmt.Errorf("milestones: write device id: %w", err)
	}
	return id, nil
}

// readRecordLocked reads milestones.json for installation id with the lock
// held. A missing or garbage file, or one written for another installation,
// yields an empty record for id; a file that exists but cannot be read is an
// error, because recording on top of it could count a milestone twice.
func (s *Store) readRecordLocked(id string) (record, error) {
	fresh := record{installationID: id, at: make(map[string]time.Time)}
	data, err := s.read(milestonesFile, maxMilestonesFile)
	switch {
	case err == nil:
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, tooLargeError{}):
		return fresh, nil
	default:
		return record{}, fmt.Errorf("milestones: read %s: %w", s.path(milestonesFile), err)
	}
	r, err := parseMilestones(data)
	if err != nil || r.installationID != id {
		return fresh, nil
	}
	return r, nil
}

// tooLargeError marks a state file bigger than any this package writes. It
// is a comparable empty struct, so errors.Is(err, tooLargeError{}) matches it
// without a package-level sentinel.
type tooLargeError struct{}

func (tooLargeError) Error() string { return "file too large" }

// read returns the content of a state file, at most limit bytes; a larger
// file is a tooLargeError. A missing file is an fs.ErrNotExist error.
func (s *Store) read(name string, limit int64) ([]byte, error) {
	if s.dir == "" {
		return nil, fs.ErrNotExist
	}
	f, err := os.Open(s.path(name))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, tooLargeError{}
	}
	return data, nil
}
