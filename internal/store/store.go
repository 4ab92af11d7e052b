package store

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"time"

	"github.com/waymarkhq/waymark/internal/statedir"
	"github.com/waymarkhq/waymark/internal/uuidx"
)

// The files of the state directory this package reads and writes.
const (
	deviceIDFile   = statedir.DeviceID
	milestonesFile = statedir.Milestones
	modeFile       = statedir.Mode
	noticeFile     = statedir.NoticeShown
	lockFile       = statedir.StateLock
	// defaultLockWait bounds one lock wait; the host's total is bounded
	// further by the Dir's Budget.
	defaultLockWait = time.Second
)

// Store is the local state in one state directory. Its methods are safe to
// call from several goroutines and several processes at once: writes are
// atomic and read-modify-write happens under the directory's lock file.
//
// Read-only methods (PeekDeviceID, Recorded, Mode, NoticeShown, LastClaim)
// never create a file or directory. Methods that write create the directory
// (mode 0700) if needed and write files with mode 0600.
type Store struct {
	dir      *statedir.Dir
	now      func() time.Time
	lockWait time.Duration
	guard    func() bool
}

// ErrWithdrawn is returned by the writing methods of a Store made WithGuard
// when its guard, asked under the lock, said that nothing may be written:
// the user turned telemetry off or forgot the machine since the process
// decided.
var ErrWithdrawn = errors.New("store: telemetry was turned off since this process started; nothing written")

// WithGuard returns a Store over the same directory whose writing methods
// (DeviceID when it creates the id, Record, Claim, Hold and Locked) ask
// guard, with the state lock held, whether they may still write; false
// makes them write nothing and return ErrWithdrawn. Holding the lock, the
// answer cannot go stale before the write: `telemetry disable` forgets the
// machine under the same lock.
func (s *Store) WithGuard(guard func() bool) *Store {
	c := *s
	c.guard = guard
	return &c
}

// New returns the Store for dir, reading the time from now (time.Now if nil).
// It does no I/O: nothing is created until a method that writes is called.
func New(dir *statedir.Dir, now func() time.Time) *Store {
	if now == nil {
		now = time.Now
	}
	return &Store{dir: dir, now: now, lockWait: defaultLockWait}
}

// Dir returns the state directory the Store was made for.
func (s *Store) Dir() *statedir.Dir { return s.dir }

// Prepare creates the state directory (mode 0700) if it does not exist and
// proves that it is writable and that its lock file can be opened. Its error
// says which directory and why, so the caller can turn telemetry off with
// that reason. A directory that
// already exists keeps its permissions.
func (s *Store) Prepare() error {
	if s.dir == nil {
		return errors.New("store: no state dir")
	}
	if err := s.dir.Create(); err != nil {
		return err
	}
	l, err := s.dir.TryLock(lockFile)
	if err != nil && !errors.Is(err, statedir.ErrLocked) { // held by a peer is fine: it exists
		return fmt.Errorf("store: state dir %s is not writable: %w", s.dir.Path(), err)
	}
	l.Unlock()
	// The lock file may be an old one: it proves nothing about new files.
	if err := s.dir.Writable(); err != nil {
		return fmt.Errorf("store: state dir %s is not writable: %w", s.dir.Path(), err)
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
	if !s.allowed() {
		return "", false, ErrWithdrawn
	}
	return s.deviceIDLocked()
}

// allowed asks the guard, if any; the lock is held.
func (s *Store) allowed() bool { return s.guard == nil || s.guard() }

// Hold takes the state lock for a write of the caller's (an upload's
// record, a spooled event) and asks the guard. It returns the function that
// releases the lock, or ErrWithdrawn (the lock already released) when the
// guard says no, or the lock's error.
func (s *Store) Hold() (release func(), err error) {
	l, err := s.lock()
	if err != nil {
		return nil, err
	}
	if !s.allowed() {
		l.Unlock()
		return nil, ErrWithdrawn
	}
	return func() { l.Unlock() }, nil
}

// Locked runs fn under the state lock when the guard allows it, and returns
// fn's error, ErrWithdrawn or the lock's error. fn must be quick and must not
// call this Store's writing methods.
func (s *Store) Locked(fn func() error) error {
	release, err := s.Hold()
	if err != nil {
		return err
	}
	defer release()
	return fn()
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
	if err := s.dir.Remove(milestonesFile); err != nil {
		// The new id already makes the old milestones not count.
		return id, fmt.Errorf("store: reset: remove %s: %w", string(milestonesFile), err)
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
	if statedir.IsNotExist(err) {
		return out, nil
	}
	if err != nil {
		return out, fmt.Errorf("store: read %s: %w", string(milestonesFile), err)
	}
	r, err := parseMilestones(data)
	if err != nil {
		return out, fmt.Errorf("store: %s is garbage: %w", string(milestonesFile), err)
	}
	if r.installationID != id {
		return out, nil
	}
	for name, t := range r.at {
		out[name] = t
	}
	if len(r.unreadable) > 0 {
		return out, fmt.Errorf("store: %s: unreadable time for %s", string(milestonesFile), strings.Join(r.unreadable, ", "))
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
		return false, errors.New("store: record: empty milestone name")
	}
	l, err := s.lock()
	if err != nil {
		return false, err
	}
	defer l.Unlock()
	if !s.allowed() {
		return false, ErrWithdrawn
	}
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
			return false, fmt.Errorf("store: record %q: %w", name, err)
		}
	}
	r.at[name] = s.now()
	data, err := formatMilestones(r)
	if err == nil {
		err = s.dir.WriteFile(milestonesFile, data)
	}
	if err != nil {
		return false, fmt.Errorf("store: record %q: event queued but not recorded: %w", name, err)
	}
	return true, nil
}

// Mode returns the saved telemetry choice: the content of the mode file
// with surrounding white space removed, or "" if there is none. It does not
// check the value (package gate interprets it) and never creates anything.
func (s *Store) Mode() (string, error) {
	data, err := s.read(modeFile, maxSmallFile)
	if statedir.IsNotExist(err) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("store: read %s: %w", string(modeFile), err)
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
		return fmt.Errorf("store: set mode: %q is not one of on, off, local", mode)
	}
	if err := s.Prepare(); err != nil {
		return err
	}
	if err := s.dir.WriteFile(modeFile, []byte(mode+"\n")); err != nil {
		return fmt.Errorf("store: set mode: %w", err)
	}
	return nil
}

// LegacyNotice is what a notice_shown marker written by Waymark 0.1.0 (a
// time alone) stands for: the notice as it was then.
const LegacyNotice = "legacy" // schema.NoticeVersion's name for it

// NoticeShown reports whether the first-run notice, in the version given
// (what it describes), has been shown on this installation. A marker of an
// older version, or none, means it has not. It never creates anything.
func (s *Store) NoticeShown(version string) bool {
	data, err := s.read(noticeFile, maxSmallFile)
	if err != nil {
		return false
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	shown := LegacyNotice
	if len(lines) > 1 {
		shown = strings.TrimSpace(lines[1])
	}
	return shown == version
}

// MarkNoticeShown writes the notice_shown marker: the current time and the
// version of the notice that was shown. Call it only after the notice was
// printed.
func (s *Store) MarkNoticeShown(version string) error {
	if s.dir == nil {
		return errors.New("store: no state dir")
	}
	if err := s.dir.Create(); err != nil {
		return err
	}
	data := []byte(formatTime(s.now()) + "\n" + version + "\n")
	if err := s.dir.WriteFileNoSync(noticeFile, data); err != nil {
		return fmt.Errorf("store: mark notice shown: %w", err)
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
	name, ok := statedir.Ticket(ticket)
	if !ok {
		return false, fmt.Errorf("store: claim: invalid ticket name %q", ticket)
	}
	l, err := s.lock()
	if err != nil {
		return false, err
	}
	defer l.Unlock()
	if !s.allowed() {
		return false, ErrWithdrawn
	}
	now := s.now()
	data, err := s.read(name, maxSmallFile)
	switch {
	case err == nil:
		if last, perr := parseTicket(data); perr == nil && !Due(last, now, interval) {
			return false, nil
		}
	case statedir.IsNotExist(err), errors.Is(err, statedir.ErrTooLarge):
	default:
		return false, fmt.Errorf("store: claim %s: read: %w", ticket, err)
	}
	if fn != nil {
		if err := fn(); err != nil {
			return false, fmt.Errorf("store: claim %s: %w", ticket, err)
		}
	}
	if err := s.dir.WriteFileNoSync(name, []byte(formatTime(now)+"\n")); err != nil {
		return false, fmt.Errorf("store: claim %s: ran but not recorded: %w", ticket, err)
	}
	return true, nil
}

// Due reports whether work last done at last is due again at now: interval
// or more has passed, or last lies more than interval ahead (the clock moved
// back, and must not silence the work for long). It is the one rule for the
// usage ping, the update check and the upload backoff.
func Due(last, now time.Time, interval time.Duration) bool {
	age := now.Sub(last)
	return age >= interval || age < -interval
}

// ClaimDue is a lock-free look at ticket: whether a Claim with interval
// would run now. A missing or unreadable ticket is due.
func (s *Store) ClaimDue(ticket string, interval time.Duration) bool {
	last, ok := s.LastClaim(ticket)
	return !ok || Due(last, s.now(), interval)
}

// LastClaim returns the time of the last successful Claim of ticket, if its
// ticket file holds a readable time. It never creates anything.
func (s *Store) LastClaim(ticket string) (time.Time, bool) {
	name, ok := statedir.Ticket(ticket)
	if !ok {
		return time.Time{}, false
	}
	data, err := s.read(name, maxSmallFile)
	if err != nil {
		return time.Time{}, false
	}
	t, err := parseTicket(data)
	return t, err == nil
}

// lock takes the state directory's lock, waiting at most s.lockWait, so a
// stuck peer costs the host program a bounded delay and an error, never a
// hang.
func (s *Store) lock() (*statedir.Lock, error) {
	if s.dir == nil {
		return nil, errors.New("store: no state dir")
	}
	if err := s.dir.Create(); err != nil {
		return nil, err
	}
	l, err := s.dir.Lock(lockFile, s.lockWait)
	if errors.Is(err, statedir.ErrLocked) {
		return nil, fmt.Errorf("store: state dir %s is busy: lock not free in time: %w", s.dir.Path(), err)
	}
	if err != nil {
		return nil, fmt.Errorf("store: lock state dir %s: %w", s.dir.Path(), err)
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
	case statedir.IsNotExist(err), errors.Is(err, statedir.ErrTooLarge):
	default:
		// Unreadable for another reason (permissions, I/O): replacing it
		// could fork the installation id, so give up instead.
		return "", false, fmt.Errorf("store: read %s: %w", string(deviceIDFile), err)
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
		return "", fmt.Errorf("store: new device id: %w", err)
	}
	if err := s.dir.WriteFile(deviceIDFile, formatDeviceID(id)); err != nil {
		return "", fmt.Errorf("store: write device id: %w", err)
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
	case statedir.IsNotExist(err), errors.Is(err, statedir.ErrTooLarge):
		return fresh, nil
	default:
		return record{}, fmt.Errorf("store: read %s: %w", string(milestonesFile), err)
	}
	r, err := parseMilestones(data)
	if err != nil || r.installationID != id {
		return fresh, nil
	}
	return r, nil
}

// read returns the content of a state file, at most limit bytes; a larger
// file is a statedir.ErrTooLarge error. A missing file is an fs.ErrNotExist
// error, and so is every file when there is no state dir.
func (s *Store) read(name statedir.Name, limit int64) ([]byte, error) {
	if s.dir == nil {
		return nil, fs.ErrNotExist
	}
	return s.dir.ReadFile(name, limit)
}
