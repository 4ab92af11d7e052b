package statedir

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Name is a file Waymark keeps directly in the state directory.
type Name string

// The files of the state directory. Their names are those of Waymark 0.1.0,
// so a state dir written by it is adopted as it is.
const (
	DeviceID    Name = "device_id"       // the installation id
	Milestones  Name = "milestones.json" // once-per-install milestones reached
	Mode        Name = "mode"            // the user's saved choice
	NoticeShown Name = "notice_shown"    // what the first-run notice told the user
	Delivery    Name = "upload.json"     // the uploader's memory: backoff, counters, last error
	UpdateCache Name = "update.json"     // the cached update manifest
	LocalLog    Name = "local.jsonl"     // events recorded in local mode
	Ledger      Name = "sent.jsonl"      // events the collector accepted, for `telemetry show`
	Erasure     Name = "erasure.json"    // an erasure request the user asked for, until delivered
	StateLock   Name = "lock"            // serialises read-modify-write of the files above
	UploadLock  Name = "upload.lock"     // held by the one uploader of this state dir
)

const (
	ticketPrefix   = "ticket-"
	uploaderPrefix = "uploader-"
	spoolDir       = "spool"
	filePerm       = 0o600
	dirPerm        = 0o700
)

// Ticket returns the name of the interval ticket t ("usage", "update"), or
// false when t is not a short name of [a-z0-9_-].
func Ticket(t string) (Name, bool) {
	if t == "" || len(t) > 64 || strings.Trim(t, "abcdefghijklmnopqrstuvwxyz0123456789-_") != "" {
		return "", false
	}
	return Name(ticketPrefix + t), true
}

// UploaderTicket returns the name of the one-time file that lets a detached
// uploader prove it was started by a run of the host, or false when token is
// not 32 lower-case hex digits.
func UploaderTicket(token string) (Name, bool) {
	if len(token) != 32 || strings.Trim(token, "0123456789abcdef") != "" {
		return "", false
	}
	return Name(uploaderPrefix + token), true
}

// ErrUnsafe marks an entry or a state dir that Waymark will not use: a
// symlink, something other than a regular file or directory, an entry owned
// by another user, or a state dir writable by group or others.
var ErrUnsafe = errors.New("statedir: unsafe")

// ErrTooLarge marks a file larger than the caller's bound.
var ErrTooLarge = errors.New("statedir: file too large")

// Dir is one state directory. Its zero value is not usable; make one with New.
// A Dir is safe for concurrent use.
type Dir struct {
	path   string
	budget *Budget
	noSync bool
	// made is what Lstat saw of the directory once Create had made it and
	// found it safe; the Dirs derived from one New share it, so a run walks
	// the path once.
	made *atomic.Pointer[fs.FileInfo]
}

// New returns the state directory at path, which must be absolute (Resolve
// makes it so). It does no I/O.
func New(path string) *Dir { return &Dir{path: path, made: new(atomic.Pointer[fs.FileInfo])} }

// WithBudget returns a Dir that charges every lock wait to b, so the waits of
// one run of the host add up to at most b's total.
func (d *Dir) WithBudget(b *Budget) *Dir {
	return &Dir{path: d.path, budget: b, noSync: d.noSync, made: d.made}
}

// WithoutSync returns a Dir whose writes skip fsync. Writes stay atomic
// (temp file, rename), so a process killed at any point leaves the old
// content or the new; only a power cut within the kernel's writeback delay
// can lose the latest write. The host's own run uses it: one fsync can cost
// it up to 200 ms on a busy disk.
func (d *Dir) WithoutSync() *Dir {
	return &Dir{path: d.path, budget: d.budget, noSync: true, made: d.made}
}

// Path returns the directory's absolute path, for people to read.
func (d *Dir) Path() string { return d.path }

func (d *Dir) join(n string) string { return filepath.Join(d.path, n) }

// PathOf returns where n is, for people to read (status, messages).
func (d *Dir) PathOf(n Name) string { return d.join(string(n)) }

// Resolve returns the absolute state directory of product: configured
// (Config.StateDir) if set, else the environment variable envVar
// (<PREFIX>_TELEMETRY_DIR) if set and non-empty, else
// userConfigDir()/<product>/telemetry. A relative path is made absolute
// against the working directory now, once, so that a detached uploader with
// another working directory uses the same folder. It creates nothing; its
// error says why no directory can be had.
func Resolve(product, configured, envVar string, lookup func(string) (string, bool), userConfigDir func() (string, error)) (string, error) {
	p := configured
	if p == "" && lookup != nil {
		if v, ok := lookup(envVar); ok && v != "" {
			p = v
		}
	}
	if p == "" {
		if product == "" {
			return "", errors.New("statedir: no state dir: empty product name")
		}
		if userConfigDir == nil {
			return "", fmt.Errorf("statedir: no state dir: no user config directory and $%s is not set", envVar)
		}
		base, err := userConfigDir()
		if err != nil {
			return "", fmt.Errorf("statedir: no state dir: $%s is not set and the user config directory is unknown: %w", envVar, err)
		}
		if base == "" {
			return "", fmt.Errorf("statedir: no state dir: $%s is not set and the user config directory is empty", envVar)
		}
		p = filepath.Join(base, product, "telemetry")
	}
	if strings.ContainsRune(p, 0) {
		return "", errors.New("statedir: no state dir: the path holds a NUL byte")
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", fmt.Errorf("statedir: no state dir: %s: %w", p, err)
	}
	return abs, nil
}

// Check reports whether the directory may be used: nil when it is a
// directory of this user that group and others cannot write, or when it
// cannot be looked at yet (missing, or a parent is not a directory: Create
// tells whether it can be made). Otherwise the error wraps ErrUnsafe and
// says why.
func (d *Dir) Check() error {
	// The path leading here may be linked (the user's choice), but only by
	// root or this user.
	if err := checkChain(d.path); err != nil {
		return err
	}
	fi, err := os.Stat(d.path)
	if err != nil {
		return nil
	}
	return checkDir(d.path, fi)
}

func checkDir(path string, fi fs.FileInfo) error {
	if !fi.IsDir() {
		return fmt.Errorf("%w: state dir %s is not a directory", ErrUnsafe, path)
	}
	if !ownedByMe(fi) {
		return fmt.Errorf("%w: state dir %s is owned by another user", ErrUnsafe, path)
	}
	if groupOrOtherWritable(fi) {
		return fmt.Errorf("%w: state dir %s is writable by group or others", ErrUnsafe, path)
	}
	return nil
}

// CheckEntries reports whether the entries Waymark needs in an existing
// state dir are usable: each of its files, if present, is a regular file of
// this user, and the spool, if present, a directory of this user. A
// symlink, FIFO or device planted at one of them makes the error wrap
// ErrUnsafe and name it. It only looks (Lstat) and never follows anything.
func (d *Dir) CheckEntries() error {
	for _, n := range []Name{StateLock, UploadLock, DeviceID, Milestones, Mode, Delivery} {
		if err := replaceable(d.join(string(n))); err != nil {
			return err
		}
	}
	if _, err := d.spoolPath(); err != nil && !IsNotExist(err) {
		return err
	}
	return nil
}

// Exists reports whether the state directory exists.
func (d *Dir) Exists() bool {
	fi, err := os.Stat(d.path)
	return err == nil && fi.IsDir()
}

// Create makes the directory (mode 0700) if it does not exist, then checks
// it as Check does. Once it has succeeded, a later call on this Dir or one
// derived from it only looks (one Lstat) that the same directory is still
// there, unchanged; anything else (removed, replaced, its owner or mode
// changed) is made and checked again.
func (d *Dir) Create() error {
	if was := d.made.Load(); was != nil {
		if fi, err := os.Lstat(d.path); err == nil && os.SameFile(*was, fi) &&
			fi.Mode() == (*was).Mode() && ownedByMe(fi) {
			return nil
		}
	}
	if err := os.MkdirAll(d.path, dirPerm); err != nil {
		return fmt.Errorf("statedir: state dir %s is not writable: %w", d.path, err)
	}
	if err := d.Check(); err != nil {
		return err
	}
	if fi, err := os.Lstat(d.path); err == nil {
		d.made.Store(&fi)
	}
	return nil
}

// ReadFile returns the content of n, at most limit bytes. A missing file is
// an fs.ErrNotExist error; a larger one is ErrTooLarge; a symlink, FIFO,
// device, directory or another user's file is ErrUnsafe. It never blocks on
// what it finds.
func (d *Dir) ReadFile(n Name, limit int64) ([]byte, error) {
	return readBounded(d.join(string(n)), limit)
}

func readBounded(path string, limit int64) ([]byte, error) {
	f, err := openRegular(path, os.O_RDONLY, 0)
	if err != nil {
		return nil, err
	}
	return f.readAll(path, limit)
}

// ReadPolicyFile reads a file outside the state dir that an administrator
// wrote (a machine policy), under the same rules as the state dir's files
// but for ownership: no symlink followed, a regular file only, opened
// non-blocking, at most limit bytes. A missing file is an fs.ErrNotExist
// error.
func ReadPolicyFile(path string, limit int64) ([]byte, error) {
	f, err := openFile(path, os.O_RDONLY, 0, false)
	if err != nil {
		return nil, err
	}
	return f.readAll(path, limit)
}

// WriteFile replaces n with data atomically (temp file, fsync, rename), mode
// 0600. An entry at n that Waymark did not make (a symlink, FIFO, directory,
// another user's file) is left alone and the error wraps ErrUnsafe.
func (d *Dir) WriteFile(n Name, data []byte) error {
	return d.writeAtomic(d.path, string(n), data, true)
}

// WriteFileNoSync is WriteFile without the fsync: for files whose loss in a
// power cut costs nothing but a repeated notice or ticket.
func (d *Dir) WriteFileNoSync(n Name, data []byte) error {
	return d.writeAtomic(d.path, string(n), data, false)
}

func (d *Dir) writeAtomic(dir, name string, data []byte, sync bool) error {
	path := filepath.Join(dir, name)
	if err := replaceable(path); err != nil {
		return err
	}
	return writeFileAtomic(path, data, filePerm, sync && !d.noSync)
}

// replaceable reports whether path is missing or a regular file of this user.
func replaceable(path string) error {
	fi, err := os.Lstat(path)
	if IsNotExist(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("statedir: %s: %w", path, err)
	}
	if !fi.Mode().IsRegular() || !ownedByMe(fi) {
		return fmt.Errorf("%w: %s is not a regular file of this user", ErrUnsafe, path)
	}
	return nil
}

// Append adds data at the end of n, creating it (0600) if needed, unless the
// file would then be larger than limit bytes.
func (d *Dir) Append(n Name, data []byte, limit int64) error {
	path := d.join(string(n))
	f, err := openRegular(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, filePerm)
	if err != nil {
		return err
	}
	if f.size+int64(len(data)) > limit {
		err = fmt.Errorf("%w: %s would pass %d bytes", ErrTooLarge, path, limit)
	}
	if err == nil {
		err = f.write(data)
	}
	if cerr := f.close(); err == nil {
		err = cerr
	}
	if err != nil && !errors.Is(err, ErrTooLarge) {
		err = fmt.Errorf("statedir: append %s: %w", path, err)
	}
	return err
}

// Size returns the size of regular file n, or 0 when it is missing or not a
// regular file.
func (d *Dir) Size(n Name) int64 {
	fi, err := os.Lstat(d.join(string(n)))
	if err != nil || !fi.Mode().IsRegular() {
		return 0
	}
	return fi.Size()
}

// Has reports whether n exists as a regular file.
func (d *Dir) Has(n Name) bool {
	fi, err := os.Lstat(d.join(string(n)))
	return err == nil && fi.Mode().IsRegular()
}

// Remove deletes n if it is a regular file of this user; a missing file is
// not an error, and anything else at n is left alone (ErrUnsafe).
func (d *Dir) Remove(n Name) error {
	return removeRegular(d.join(string(n)))
}

func removeRegular(path string) error {
	if err := replaceable(path); err != nil {
		return err
	}
	if err := os.Remove(path); err != nil && !IsNotExist(err) {
		return fmt.Errorf("statedir: remove %s: %w", path, err)
	}
	return nil
}

// RemoveUploaderTickets deletes uploader tickets older than age; the
// uploader calls it so that tickets of children that never started do not
// pile up.
func (d *Dir) RemoveUploaderTickets(age time.Duration, now time.Time) {
	des, err := readDirN(d.path, 4096)
	if err != nil {
		return
	}
	for _, de := range des {
		name := de.Name()
		if !strings.HasPrefix(name, uploaderPrefix) {
			continue
		}
		if _, ok := UploaderTicket(strings.TrimPrefix(name, uploaderPrefix)); !ok {
			continue
		}
		if fi, err := de.Info(); err == nil && now.Sub(fi.ModTime()) > age {
			removeRegular(d.join(name))
		}
	}
}

// Lock takes the exclusive cross-process lock n (StateLock or UploadLock),
// waiting at most wait, and less when the Dir's Budget has less left. It
// returns ErrLocked when the lock stayed taken.
func (d *Dir) Lock(n Name, wait time.Duration) (*Lock, error) {
	if d.budget != nil {
		wait = d.budget.take(wait)
	}
	start := time.Now()
	l, err := lockWait(d.join(string(n)), wait)
	if d.budget != nil {
		d.budget.refund(wait - time.Since(start))
	}
	return l, err
}

// TryLock takes lock n without waiting, or returns ErrLocked.
func (d *Dir) TryLock(n Name) (*Lock, error) {
	return tryLock(d.join(string(n)))
}

// Locked reports whether another process holds lock n right now.
func (d *Dir) Locked(n Name) bool {
	l, err := d.TryLock(n)
	if err != nil {
		return errors.Is(err, ErrLocked)
	}
	l.Unlock()
	return false
}

// Budget bounds the total time one run spends waiting for locks.
type Budget struct {
	mu   sync.Mutex
	left time.Duration
}

// NewBudget returns a Budget of total.
func NewBudget(total time.Duration) *Budget { return &Budget{left: total} }

// take reserves the next wait: at most want, and no more than is left, so
// waiters that overlap cannot each spend the whole budget.
func (b *Budget) take(want time.Duration) time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	got := max(0, min(want, b.left))
	b.left -= got
	return got
}

// refund gives back the part of a reserved wait that was not used.
func (b *Budget) refund(unused time.Duration) {
	if unused <= 0 {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.left += unused
}

// readDirN lists at most n entries of dir, in no particular order.
func readDirN(dir string, n int) ([]fs.DirEntry, error) {
	f, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	des, err := f.ReadDir(n)
	if errors.Is(err, io.EOF) {
		err = nil
	}
	return des, err
}
