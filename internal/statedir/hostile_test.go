package statedir

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// The disk is hostile ground: whatever sits at a state file's name, every
// operation returns promptly, touches nothing outside the state dir, and
// leaves in place whatever it did not make.

// helperEnv turns a run of this test binary into a process that holds a lock
// (see TestMain): "<state dir>:<lock name>".
const helperEnv = "WAYMARK_STATEDIR_HOLD_LOCK"

func TestMain(m *testing.M) {
	if v := os.Getenv(helperEnv); v != "" {
		os.Exit(holdLock(v))
	}
	os.Exit(m.Run())
}

// holdLock takes a lock, says so on stdout, and holds it until stdin closes.
func holdLock(v string) int {
	i := strings.LastIndexByte(v, ':')
	l, err := New(v[:i]).TryLock(Name(v[i+1:]))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println("locked")
	io.Copy(io.Discard, os.Stdin)
	l.Unlock()
	return 0
}

// holdLockInProcess starts another process holding lock n of dir until the
// test ends.
func holdLockInProcess(t *testing.T, dir string, n Name) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"="+dir+":"+string(n))
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stdin.Close()
		cmd.Wait()
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || line != "locked\n" {
		t.Fatalf("lock holder said %q, %v: %s", line, err, stderr.String())
	}
}

// within runs f and fails the test if f has not returned after d: nothing on
// the disk may make Waymark wait. f must not call t.Fatal.
func within(t *testing.T, d time.Duration, what string, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	select {
	case <-done:
	case <-time.After(d):
		t.Fatalf("%s: still blocked after %v", what, d)
	}
}

// allNames is every kind of file Waymark keeps in the state dir.
func allNames(t *testing.T) []Name {
	t.Helper()
	usage, ok1 := Ticket("usage")
	up, ok2 := UploaderTicket(strings.Repeat("a1", 16))
	if !ok1 || !ok2 {
		t.Fatal("valid ticket names refused")
	}
	return []Name{DeviceID, Milestones, Mode, NoticeShown, Delivery, UpdateCache, LocalLog, Ledger, StateLock, UploadLock, usage, up}
}

// fileOps are the operations Dir offers on one of its files.
var fileOps = []struct {
	name string
	do   func(d *Dir, n Name) error
}{
	{"ReadFile", func(d *Dir, n Name) error { _, err := d.ReadFile(n, 1<<20); return err }},
	{"WriteFile", func(d *Dir, n Name) error { return d.WriteFile(n, []byte("waymark\n")) }},
	{"WriteFileNoSync", func(d *Dir, n Name) error { return d.WriteFileNoSync(n, []byte("waymark\n")) }},
	{"Append", func(d *Dir, n Name) error { return d.Append(n, []byte("waymark\n"), 1<<20) }},
	{"Lock", func(d *Dir, n Name) error { l, err := d.Lock(n, 20*time.Millisecond); l.Unlock(); return err }},
	{"TryLock", func(d *Dir, n Name) error { l, err := d.TryLock(n); l.Unlock(); return err }},
	{"Remove", func(d *Dir, n Name) error { return d.Remove(n) }},
}

// snapshot describes an entry without following it, and what a link points at.
type snapshot struct {
	mode    fs.FileMode
	uid     uint32
	size    int64
	mtime   time.Time
	link    string
	content string // of a regular file, or of a link's regular target
}

func snap(t *testing.T, path string) snapshot {
	t.Helper()
	fi, err := os.Lstat(path)
	if err != nil {
		return snapshot{mode: fs.ModeIrregular, link: "missing: " + err.Error()}
	}
	s := snapshot{mode: fi.Mode(), uid: ownerOf(fi), size: fi.Size(), mtime: fi.ModTime()}
	if fi.Mode()&fs.ModeSymlink != 0 {
		s.link, _ = os.Readlink(path)
		if tfi, err := os.Stat(path); err == nil && tfi.Mode().IsRegular() {
			b, _ := os.ReadFile(path)
			s.content = string(b)
			s.mtime = tfi.ModTime()
		}
	} else if fi.Mode().IsRegular() {
		b, _ := os.ReadFile(path)
		s.content = string(b)
	}
	return s
}

// hostileKinds plant something Waymark did not make at path; outside is a
// folder beyond the state dir that must stay as it is.
func hostileKinds(t *testing.T) []struct {
	name  string
	plant func(t *testing.T, path, outside string)
} {
	kinds := []struct {
		name  string
		plant func(t *testing.T, path, outside string)
	}{
		{"symlink to a user's file", func(t *testing.T, path, outside string) {
			target := filepath.Join(outside, "precious")
			if err := os.WriteFile(target, []byte("the user's data\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			mustSymlink(t, target, path)
		}},
		{"dangling symlink", func(t *testing.T, path, outside string) {
			mustSymlink(t, filepath.Join(outside, "created-through-a-link"), path)
		}},
		{"symlink to /dev/zero", func(t *testing.T, path, _ string) { mustSymlink(t, "/dev/zero", path) }},
		{"symlink to a directory", func(t *testing.T, path, outside string) { mustSymlink(t, outside, path) }},
		{"FIFO", func(t *testing.T, path, _ string) {
			if !canFIFO {
				t.Skip("Windows has no FIFOs")
			}
			if err := mkfifo(path); err != nil {
				t.Fatal(err)
			}
		}},
		{"directory", func(t *testing.T, path, _ string) {
			if err := os.Mkdir(path, 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(path, "inside"), []byte("x"), 0o600); err != nil {
				t.Fatal(err)
			}
		}},
	}
	if runtime.GOOS == "linux" {
		kinds = append(kinds, struct {
			name  string
			plant func(t *testing.T, path, outside string)
		}{"character device like /dev/zero", func(t *testing.T, path, _ string) {
			if err := mkDevZero(path); err != nil {
				t.Fatalf("mknod: %v (needs CAP_MKNOD: run as root, as CI does)", err)
			}
		}})
	}
	if os.Geteuid() == 0 {
		kinds = append(kinds, struct {
			name  string
			plant func(t *testing.T, path, outside string)
		}{"another user's file", func(t *testing.T, path, _ string) {
			if err := os.WriteFile(path, []byte("nobody's\n"), 0o666); err != nil {
				t.Fatal(err)
			}
			if err := os.Chown(path, 65534, 65534); err != nil {
				t.Fatal(err)
			}
		}})
	}
	return kinds
}

// mustSymlink makes link point at target, or skips the test on a Windows
// that makes no symbolic links (see symlinksWork).
func mustSymlink(t *testing.T, target, link string) {
	t.Helper()
	if !symlinksWork(t) {
		t.Skip("this Windows makes no symbolic link a program can see: it takes a privilege or Developer Mode, and Wine 8 has none")
	}
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}

// symlinksWork reports whether this system makes symbolic links that Lstat
// then sees. Everywhere but Windows it must, or the test fails.
func symlinksWork(t *testing.T) bool {
	t.Helper()
	symlinkOnce.Do(func() {
		dir, err := os.MkdirTemp("", "waymark-symlink-")
		if err != nil {
			return
		}
		defer os.RemoveAll(dir)
		link := filepath.Join(dir, "link")
		if os.Symlink(dir, link) != nil {
			return
		}
		fi, err := os.Lstat(link)
		symlinkOK = err == nil && fi.Mode()&fs.ModeSymlink != 0
	})
	if !symlinkOK && runtime.GOOS != "windows" {
		t.Fatal("this system makes no symbolic links")
	}
	return symlinkOK
}

var (
	symlinkOnce sync.Once
	symlinkOK   bool
)

func dirList(t *testing.T, dir string) []string {
	t.Helper()
	des, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, de := range des {
		out = append(out, de.Name())
	}
	return out
}

// Every operation on every state file refuses, at once, whatever Waymark did
// not make: it follows no link, blocks on no FIFO or device, replaces or
// removes nothing, and creates nothing outside the state dir.
func TestHostileEntries(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Log("not root: the case of another user's file is left out")
	}
	for _, kind := range hostileKinds(t) {
		t.Run(kind.name, func(t *testing.T) {
			for _, n := range allNames(t) {
				for _, op := range fileOps {
					state, outside := t.TempDir(), t.TempDir()
					path := filepath.Join(state, string(n))
					kind.plant(t, path, outside)
					before, beforeOutside := snap(t, path), dirList(t, outside)
					d := New(state)
					var err error
					within(t, 2*time.Second, fmt.Sprintf("%s on %s", op.name, n), func() { err = op.do(d, n) })
					if !errors.Is(err, ErrUnsafe) {
						t.Errorf("%s on %s: %v, want ErrUnsafe", op.name, n, err)
					}
					if after := snap(t, path); after != before {
						t.Errorf("%s on %s changed the entry:\n before %+v\n after  %+v", op.name, n, before, after)
					}
					if got := dirList(t, outside); !slices.Equal(got, beforeOutside) {
						t.Errorf("%s on %s changed the folder outside: %v -> %v", op.name, n, beforeOutside, got)
					}
					if got := dirList(t, state); !slices.Equal(got, []string{string(n)}) {
						t.Errorf("%s on %s left %v in the state dir", op.name, n, got)
					}
				}
				// The read-only looks agree: nothing usable is there.
				state := t.TempDir()
				path := filepath.Join(state, string(n))
				kind.plant(t, path, t.TempDir())
				d := New(state)
				within(t, 2*time.Second, "Has/Size/Locked on "+string(n), func() {
					if d.Has(n) && kind.name != "another user's file" {
						t.Errorf("Has(%s) = true", n)
					}
					if s := d.Size(n); s != 0 && kind.name != "another user's file" {
						t.Errorf("Size(%s) = %d", n, s)
					}
					if d.Locked(n) {
						t.Errorf("Locked(%s) = true with no lock held", n)
					}
				})
				if err := d.CheckEntries(); slices.Contains([]Name{StateLock, UploadLock, DeviceID, Milestones, Mode, Delivery}, n) && !errors.Is(err, ErrUnsafe) {
					t.Errorf("CheckEntries with %s at %s: %v, want ErrUnsafe", kind.name, n, err)
				}
			}
		})
	}
}

// A state file linked to /dev/zero, or a huge (sparse) one, costs a bounded
// read and no memory to speak of: 0.1.0 ran the host out of memory here.
func TestOversizedFiles(t *testing.T) {
	state := t.TempDir()
	d := New(state)
	write := func(n Name, data string) {
		t.Helper()
		if err := os.WriteFile(d.PathOf(n), []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(Mode, "0123456789")
	if b, err := d.ReadFile(Mode, 10); err != nil || string(b) != "0123456789" {
		t.Fatalf("ReadFile at exactly the limit = %q, %v", b, err)
	}
	if b, err := d.ReadFile(Mode, 9); !errors.Is(err, ErrTooLarge) || b != nil {
		t.Fatalf("ReadFile over the limit = %q, %v; want ErrTooLarge", b, err)
	}
	if _, err := d.ReadFile(Mode, 0); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("ReadFile with limit 0 of a non-empty file: %v", err)
	}

	// A sparse file of 4 GiB: refused after reading limit+1 bytes.
	f, err := os.OpenFile(d.PathOf(Delivery), os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(4 << 30); err != nil {
		t.Fatal(err)
	}
	f.Close()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	if _, err := d.ReadFile(Delivery, 16<<10); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("ReadFile of a 4 GiB file: %v, want ErrTooLarge", err)
	}
	runtime.ReadMemStats(&after)
	if took := time.Since(start); took > time.Second {
		t.Errorf("ReadFile of a 4 GiB file took %v", took)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 1<<20 {
		t.Errorf("ReadFile of a 4 GiB file with a 16 KiB limit allocated %d bytes", alloc)
	}

	// Append refuses to pass its limit and leaves the file as it was.
	write(LocalLog, "12345")
	if err := d.Append(LocalLog, []byte("678"), 8); err != nil {
		t.Fatalf("Append up to the limit: %v", err)
	}
	if err := d.Append(LocalLog, []byte("9"), 8); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("Append past the limit: %v, want ErrTooLarge", err)
	}
	if b, _ := os.ReadFile(d.PathOf(LocalLog)); string(b) != "12345678" {
		t.Fatalf("local log holds %q after a refused Append", b)
	}

	// Spool entries are bounded the same way.
	entry := "0000000000000001-11-00000020-0000000000000001.spool"
	if err := d.SpoolWrite(entry, bytes.Repeat([]byte("x"), 32)); err != nil {
		t.Fatal(err)
	}
	if _, err := d.SpoolRead(entry, 31); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("SpoolRead over the limit: %v", err)
	}
	if b, err := d.SpoolRead(entry, 32); err != nil || len(b) != 32 {
		t.Fatalf("SpoolRead at the limit = %d bytes, %v", len(b), err)
	}
}

// A file this user does not own is neither read, written, replaced nor
// removed, even by root (who could): a root run of the host must not act on
// what another user planted.
func TestAnotherUsersFiles(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Windows has no Unix owners to plant: the state dir is in the user's profile, which its ACL keeps private")
	}
	if os.Geteuid() != 0 {
		t.Fatal("only root can give a file to another user: run this test as root, as CI does")
	}
	state := t.TempDir()
	d := New(state)
	entry := "0000000000000001-11-00000020-0000000000000001.spool"
	if err := d.SpoolWrite(entry, []byte("an entry")); err != nil {
		t.Fatal(err)
	}
	spoolEntry := filepath.Join(state, "spool", entry)
	for _, p := range []string{d.PathOf(DeviceID), spoolEntry} {
		if err := os.WriteFile(p, []byte("planted\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(p, 65534, 65534); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := d.ReadFile(DeviceID, 1<<10); !errors.Is(err, ErrUnsafe) {
		t.Errorf("ReadFile: %v", err)
	}
	if err := d.WriteFile(DeviceID, []byte("mine\n")); !errors.Is(err, ErrUnsafe) {
		t.Errorf("WriteFile: %v", err)
	}
	if err := d.Remove(DeviceID); !errors.Is(err, ErrUnsafe) {
		t.Errorf("Remove: %v", err)
	}
	if _, err := d.SpoolRead(entry, 1<<10); !errors.Is(err, ErrUnsafe) {
		t.Errorf("SpoolRead: %v", err)
	}
	if err := d.SpoolRemove(entry); !errors.Is(err, ErrUnsafe) {
		t.Errorf("SpoolRemove: %v", err)
	}
	for _, p := range []string{d.PathOf(DeviceID), spoolEntry} {
		fi, err := os.Lstat(p)
		if err != nil {
			t.Fatalf("%s is gone: %v", p, err)
		}
		b, _ := os.ReadFile(p)
		if ownerOf(fi) != 65534 || string(b) != "planted\n" {
			t.Errorf("%s changed: uid %d, %q", p, ownerOf(fi), b)
		}
	}
}

// A state dir that others could write into, or that another user owns, is
// not used: Check and Create say so. The path leading to it may be linked.
func TestStateDirCheck(t *testing.T) {
	root := t.TempDir()
	mk := func(name string, mode fs.FileMode) string {
		t.Helper()
		p := filepath.Join(root, name)
		if err := os.Mkdir(p, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil { // past the umask
			t.Fatal(err)
		}
		return p
	}
	for _, tc := range []struct {
		name     string
		path     string
		unsafe   bool
		modeBits bool // unsafe by Unix mode bits, which Windows has not
	}{
		{"private", mk("private", 0o700), false, false},
		{"readable by others", mk("readable", 0o755), false, false},
		{"missing", filepath.Join(root, "missing", "telemetry"), false, false},
		{"group-writable", mk("group", 0o770), true, true},
		{"world-writable", mk("world", 0o703), true, true},
		{"world-writable and sticky like /tmp", mk("sticky", 0o1777), true, true},
		{"a regular file", func() string {
			p := filepath.Join(root, "file")
			os.WriteFile(p, nil, 0o600)
			return p
		}(), true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.modeBits && runtime.GOOS == "windows" {
				t.Skip("Windows has no mode bits: who may write is in the folder's ACL")
			}
			err := New(tc.path).Check()
			if tc.unsafe != errors.Is(err, ErrUnsafe) || (!tc.unsafe && err != nil) {
				t.Fatalf("Check = %v, want unsafe %v", err, tc.unsafe)
			}
			if tc.unsafe && !strings.Contains(err.Error(), tc.path) {
				t.Errorf("error %q does not name the dir", err)
			}
			if tc.unsafe {
				if err := New(tc.path).Create(); err == nil {
					t.Fatal("Create of an unsafe state dir succeeded")
				}
			}
		})
	}

	// A dotfile manager links ~/.config: the state dir below the link works.
	if !symlinksWork(t) {
		return
	}
	real := mk("real-config", 0o700)
	linked := filepath.Join(root, "linked-config")
	mustSymlink(t, real, linked)
	d := New(filepath.Join(linked, "acme", "telemetry"))
	if err := d.Create(); err != nil {
		t.Fatalf("Create below a linked folder: %v", err)
	}
	if err := d.WriteFile(Mode, []byte("on\n")); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(real, "acme", "telemetry", "mode")); err != nil || string(b) != "on\n" {
		t.Fatalf("the file did not land below the link's target: %q, %v", b, err)
	}

	if os.Geteuid() == 0 {
		other := mk("other-user", 0o700)
		if err := os.Chown(other, 65534, 65534); err != nil {
			t.Fatal(err)
		}
		if err := New(other).Check(); !errors.Is(err, ErrUnsafe) || !strings.Contains(err.Error(), "another user") {
			t.Fatalf("Check of another user's dir = %v, want ErrUnsafe naming the owner", err)
		}
		// Linking to it changes nothing: the folder that would be used is checked.
		link := filepath.Join(root, "link-to-other")
		mustSymlink(t, other, link)
		if err := New(link).Check(); !errors.Is(err, ErrUnsafe) {
			t.Fatalf("Check through a link to another user's dir = %v, want ErrUnsafe", err)
		}
	}
}

const (
	entryA = "0000000000000001-11-00000020-0000000000000001.spool"
	entryB = "0000000000000002-31-00000020-0000000000000002.spool"
)

// A spool that is a link to a folder of the user's files, or not a folder
// at all, is neither listed, written, read nor cleaned: 0.1.0 emptied the
// folder a `spool` link pointed at.
func TestSpoolFolderLinkedOrNotAFolder(t *testing.T) {
	state, users := t.TempDir(), t.TempDir()
	userFiles := map[string]string{
		entryA:                      "shaped like an entry",
		"." + entryA + ".tmp-1":     "shaped like a temp file",
		"thesis.tex":                "years of work",
		"0000000000000003-11.spool": "close enough",
	}
	for name, content := range userFiles {
		if err := os.WriteFile(filepath.Join(users, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	check := func() {
		t.Helper()
		got := dirList(t, users)
		if len(got) != len(userFiles) {
			t.Fatalf("the user's folder holds %v", got)
		}
		for name, content := range userFiles {
			if b, err := os.ReadFile(filepath.Join(users, name)); err != nil || string(b) != content {
				t.Fatalf("%s: %q, %v; want it untouched", name, b, err)
			}
		}
	}
	d := New(state)
	spool := filepath.Join(state, "spool")
	// A spool linked to the user's folder (where this system makes links).
	if symlinksWork(t) {
		if err := os.Symlink(users, spool); err != nil {
			t.Fatal(err)
		}
		within(t, 2*time.Second, "spool calls on a linked spool", func() {
			if names, err := d.SpoolList(0); !errors.Is(err, ErrUnsafe) || len(names) != 0 {
				t.Errorf("SpoolList = %v, %v; want ErrUnsafe", names, err)
			}
			if err := d.SpoolWrite(entryB, []byte("new")); !errors.Is(err, ErrUnsafe) {
				t.Errorf("SpoolWrite = %v, want ErrUnsafe", err)
			}
			if _, err := d.SpoolRead(entryA, 1<<10); !errors.Is(err, ErrUnsafe) {
				t.Errorf("SpoolRead = %v, want ErrUnsafe", err)
			}
			for _, n := range []string{entryA, "." + entryA + ".tmp-1"} {
				if err := d.SpoolRemove(n); !errors.Is(err, ErrUnsafe) {
					t.Errorf("SpoolRemove(%s) = %v, want ErrUnsafe", n, err)
				}
			}
			if _, err := d.SpoolEntryInfo(entryA); !errors.Is(err, ErrUnsafe) {
				t.Errorf("SpoolEntryInfo = %v, want ErrUnsafe", err)
			}
		})
		if err := d.CheckEntries(); !errors.Is(err, ErrUnsafe) {
			t.Errorf("CheckEntries with a linked spool = %v, want ErrUnsafe", err)
		}
		check()
		if target, err := os.Readlink(spool); err != nil || target != users {
			t.Fatalf("the spool link was changed: %q, %v", target, err)
		}
	}

	// A regular file or a FIFO where the spool folder goes.
	plants := []func(string) error{
		func(p string) error { return os.WriteFile(p, []byte("not a folder"), 0o600) },
	}
	if canFIFO {
		plants = append(plants, mkfifo)
	}
	for _, plant := range plants {
		os.Remove(spool)
		if err := plant(spool); err != nil {
			t.Fatal(err)
		}
		before := snap(t, spool)
		within(t, 2*time.Second, "spool calls on a non-folder spool", func() {
			if _, err := d.SpoolList(0); !errors.Is(err, ErrUnsafe) {
				t.Errorf("SpoolList = %v, want ErrUnsafe", err)
			}
			if err := d.SpoolWrite(entryB, []byte("new")); err == nil {
				t.Error("SpoolWrite succeeded")
			}
			if err := d.SpoolRemove(entryA); !errors.Is(err, ErrUnsafe) {
				t.Errorf("SpoolRemove = %v, want ErrUnsafe", err)
			}
		})
		if after := snap(t, spool); after != before {
			t.Fatalf("the spool entry changed: %+v -> %+v", before, after)
		}
	}
}

// In a real spool folder, only Waymark's names are listed, read or removed:
// a user's files, folders and links there stay as they are.
func TestSpoolForeignFiles(t *testing.T) {
	state, outside := t.TempDir(), t.TempDir()
	d := New(state)
	if err := d.SpoolWrite(entryA, []byte("ours")); err != nil {
		t.Fatal(err)
	}
	spool := filepath.Join(state, "spool")
	if fi, err := os.Lstat(spool); err != nil || !fi.IsDir() || runtime.GOOS != "windows" && fi.Mode().Perm() != 0o700 {
		t.Fatalf("spool folder: %v, %v; want a 0700 folder", fi.Mode(), err)
	}
	target := filepath.Join(outside, "precious")
	if err := os.WriteFile(target, []byte("the user's data"), 0o600); err != nil {
		t.Fatal(err)
	}
	foreign := map[string]string{
		"notes.txt":              "a user's file",
		"README":                 "another",
		strings.ToUpper(entryB):  "upper-case hex is not ours",
		entryB + ".bak":          "a backup",
		".notes.txt.tmp-1":       "a temp name around a foreign name",
		"." + entryB + ".tmp-x1": "temp suffix not all digits",
	}
	for name, content := range foreign {
		if err := os.WriteFile(filepath.Join(spool, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// An entry-shaped folder, link and FIFO (where this system has them)
	// are not entries.
	dirEntry := "0000000000000005-11-00000020-0000000000000005.spool"
	if err := os.Mkdir(filepath.Join(spool, dirEntry), 0o700); err != nil {
		t.Fatal(err)
	}
	planted := []string{dirEntry}
	linkEntry := "0000000000000004-11-00000020-0000000000000004.spool"
	if symlinksWork(t) {
		mustSymlink(t, target, filepath.Join(spool, linkEntry))
		planted = append(planted, linkEntry)
	}
	fifoEntry := "0000000000000006-11-00000020-0000000000000006.spool"
	if canFIFO {
		if err := mkfifo(filepath.Join(spool, fifoEntry)); err != nil {
			t.Fatal(err)
		}
		planted = append(planted, fifoEntry)
	}

	var names []string
	within(t, 2*time.Second, "SpoolList", func() {
		var err error
		names, err = d.SpoolList(0)
		if err != nil {
			t.Error(err)
		}
	})
	if !slices.Equal(names, []string{entryA}) {
		t.Fatalf("SpoolList = %q, want only %s", names, entryA)
	}
	within(t, 2*time.Second, "spool calls on foreign entries", func() {
		for name := range foreign {
			if err := d.SpoolRemove(name); err == nil {
				t.Errorf("SpoolRemove(%q) accepted a foreign name", name)
			}
		}
		for _, name := range []string{"../device_id", "../../etc/passwd", "a/b", "", ".", "..", "/etc/passwd"} {
			if err := d.SpoolRemove(name); err == nil {
				t.Errorf("SpoolRemove(%q) accepted a path", name)
			}
			if _, err := d.SpoolRead(name, 1<<10); err == nil {
				t.Errorf("SpoolRead(%q) accepted a path", name)
			}
			if err := d.SpoolWrite(name, []byte("x")); err == nil {
				t.Errorf("SpoolWrite(%q) accepted a path", name)
			}
		}
		for _, name := range planted {
			if _, err := d.SpoolRead(name, 1<<10); !errors.Is(err, ErrUnsafe) {
				t.Errorf("SpoolRead(%s) = %v, want ErrUnsafe", name, err)
			}
			if err := d.SpoolRemove(name); !errors.Is(err, ErrUnsafe) {
				t.Errorf("SpoolRemove(%s) = %v, want ErrUnsafe", name, err)
			}
			if err := d.SpoolWrite(name, []byte("x")); !errors.Is(err, ErrUnsafe) {
				t.Errorf("SpoolWrite(%s) = %v, want ErrUnsafe", name, err)
			}
		}
	})
	for name, content := range foreign {
		if b, err := os.ReadFile(filepath.Join(spool, name)); err != nil || string(b) != content {
			t.Errorf("%s: %q, %v; want it untouched", name, b, err)
		}
	}
	if b, _ := os.ReadFile(target); string(b) != "the user's data" {
		t.Errorf("the link's target holds %q", b)
	}
	for _, name := range planted {
		if _, err := os.Lstat(filepath.Join(spool, name)); err != nil {
			t.Errorf("%s is gone: %v", name, err)
		}
	}
	if err := d.SpoolRemove(entryA); err != nil {
		t.Fatal(err)
	}
	if err := d.SpoolRemove(entryA); err != nil {
		t.Fatalf("removing a missing entry: %v", err)
	}
	if n := len(dirList(t, spool)); n != len(foreign)+len(planted) {
		t.Fatalf("the spool holds %d names after removing ours, want %d", n, len(foreign)+len(planted))
	}
}

// RemoveUploaderTickets deletes only stale uploader tickets: never a fresh
// one, never a look-alike, never a link.
func TestRemoveUploaderTickets(t *testing.T) {
	state, outside := t.TempDir(), t.TempDir()
	d := New(state)
	stale, _ := UploaderTicket(strings.Repeat("0a", 16))
	fresh, _ := UploaderTicket(strings.Repeat("0b", 16))
	linked, _ := UploaderTicket(strings.Repeat("0c", 16))
	for _, n := range []Name{stale, fresh} {
		if err := d.WriteFileNoSync(n, []byte("{}")); err != nil {
			t.Fatal(err)
		}
	}
	target := filepath.Join(outside, "precious")
	os.WriteFile(target, []byte("x"), 0o600)
	links := symlinksWork(t)
	if links {
		mustSymlink(t, target, d.PathOf(linked))
	}
	lookalikes := []string{"uploader-short", "uploader-" + strings.Repeat("0d", 16) + ".bak"}
	// An upper-case twin of a ticket is another file only where names are
	// case-sensitive (not on Windows or a default macOS volume).
	upper := "uploader-" + strings.Repeat("0A", 16)
	if _, err := os.Lstat(filepath.Join(state, upper)); errors.Is(err, fs.ErrNotExist) {
		lookalikes = append(lookalikes, upper)
	}
	for _, n := range lookalikes {
		os.WriteFile(filepath.Join(state, n), nil, 0o600)
	}
	old := time.Now().Add(-time.Hour)
	os.Chtimes(d.PathOf(stale), old, old)
	for _, n := range lookalikes {
		os.Chtimes(filepath.Join(state, n), old, old)
	}
	if links {
		// Windows cannot date a link itself here; a fresh link proves less.
		if err := lutimes(d.PathOf(linked), old); err != nil && runtime.GOOS != "windows" {
			t.Fatal(err)
		}
	}

	d.RemoveUploaderTickets(10*time.Minute, time.Now())
	if d.Has(stale) {
		t.Error("a stale ticket was kept")
	}
	if !d.Has(fresh) {
		t.Error("a fresh ticket was removed")
	}
	if _, err := os.Lstat(d.PathOf(linked)); links && err != nil {
		t.Errorf("a linked ticket was removed: %v", err)
	}
	if _, err := os.Stat(target); err != nil {
		t.Errorf("the link's target is gone: %v", err)
	}
	for _, n := range lookalikes {
		if _, err := os.Lstat(filepath.Join(state, n)); err != nil {
			t.Errorf("look-alike %s removed: %v", n, err)
		}
	}
}

// Names cannot leave the state dir.
func TestNamesStayInside(t *testing.T) {
	for _, bad := range []string{"", "../x", "a/b", "Usage", "usage\x00", strings.Repeat("a", 65), ".", "..", "a b"} {
		if n, ok := Ticket(bad); ok {
			t.Errorf("Ticket(%q) = %q", bad, n)
		}
	}
	for _, bad := range []string{"", strings.Repeat("a", 31), strings.Repeat("a", 33), strings.Repeat("A", 32), strings.Repeat("g", 32), "../" + strings.Repeat("a", 29)} {
		if n, ok := UploaderTicket(bad); ok {
			t.Errorf("UploaderTicket(%q) = %q", bad, n)
		}
	}
}

// The host's lock waits add up to at most its Budget, however many locks it
// takes and however long a peer holds them; the locks themselves still work
// once free.
func TestBudgetBoundsLockWaits(t *testing.T) {
	state := t.TempDir()
	holdLockInProcess(t, state, StateLock)
	const budget = 50 * time.Millisecond
	d := New(state).WithBudget(NewBudget(budget))
	if !d.Locked(StateLock) {
		t.Fatal("Locked = false while another process holds the lock")
	}
	start := time.Now()
	for i := range 10 {
		l, err := d.Lock(StateLock, time.Second)
		if !errors.Is(err, ErrLocked) {
			t.Fatalf("Lock %d while held elsewhere: %v, want ErrLocked", i, err)
		}
		l.Unlock()
	}
	took := time.Since(start)
	if took < budget*9/10 {
		t.Errorf("10 busy locks gave up after %v: the budget of %v was not used", took, budget)
	}
	// Without the budget the first wait alone would last 1 s; the bound
	// leaves room for a loaded machine (or Wine, where each try is a round
	// trip to wineserver).
	if took > 700*time.Millisecond {
		t.Errorf("10 busy locks took %v, want about the budget of %v (1 s each without it)", took, budget)
	}
	// With the budget spent, a free lock is still taken at once.
	if l, err := d.Lock(UploadLock, time.Second); err != nil {
		t.Fatalf("a free lock with the budget spent: %v", err)
	} else {
		l.Unlock()
	}
	// Another Dir on the same path has its own budget; without one, a wait
	// lasts what the caller asked.
	start = time.Now()
	if _, err := New(state).Lock(StateLock, 80*time.Millisecond); !errors.Is(err, ErrLocked) {
		t.Fatalf("Lock without a budget: %v", err)
	}
	if took := time.Since(start); took < 70*time.Millisecond {
		t.Errorf("Lock without a budget gave up after %v, want 80 ms", took)
	}
}

// Goroutines of one run share its Budget: waiting on several locks at once,
// or one after another, the run waits about the budget, not a multiple.
func TestBudgetSharedByGoroutines(t *testing.T) {
	state := t.TempDir()
	holdLockInProcess(t, state, StateLock)
	const budget = 50 * time.Millisecond
	d := New(state).WithBudget(NewBudget(budget))
	start := time.Now()
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if _, err := d.Lock(StateLock, time.Second); !errors.Is(err, ErrLocked) {
				t.Errorf("Lock: %v", err)
			}
		})
	}
	wg.Wait()
	if took := time.Since(start); took > budget+150*time.Millisecond {
		t.Errorf("8 concurrent busy locks took %v, want about the budget of %v", took, budget)
	}
}

// A machine policy file lies outside the state dir and is the
// administrator's, so its owner is not checked; everything else is as for
// state files: no link followed, no FIFO or device waited on, a bounded read.
func TestReadPolicyFile(t *testing.T) {
	dir, outside := t.TempDir(), t.TempDir()
	p := filepath.Join(dir, "telemetry-policy")
	if _, err := ReadPolicyFile(p, 256); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("missing policy: %v, want fs.ErrNotExist", err)
	}
	if err := os.WriteFile(p, []byte("off\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() == 0 {
		if err := os.Chown(p, 65534, 65534); err != nil {
			t.Fatal(err)
		}
	}
	if b, err := ReadPolicyFile(p, 256); err != nil || string(b) != "off\n" {
		t.Fatalf("ReadPolicyFile = %q, %v", b, err)
	}
	if _, err := ReadPolicyFile(p, 3); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("oversized policy: %v, want ErrTooLarge", err)
	}
	for name, plant := range map[string]func(string) error{
		"link to a file": func(q string) error {
			target := filepath.Join(outside, "target")
			os.WriteFile(target, []byte("local\n"), 0o644)
			return os.Symlink(target, q)
		},
		"link to /dev/zero": func(q string) error { return os.Symlink("/dev/zero", q) },
		"FIFO":              mkfifo,
		"directory":         func(q string) error { return os.Mkdir(q, 0o755) },
	} {
		if strings.HasPrefix(name, "link") && !symlinksWork(t) || name == "FIFO" && !canFIFO {
			continue // not on this Windows
		}
		q := filepath.Join(t.TempDir(), "telemetry-policy")
		if err := plant(q); err != nil {
			t.Fatal(err)
		}
		var err error
		within(t, 2*time.Second, "ReadPolicyFile of a "+name, func() { _, err = ReadPolicyFile(q, 256) })
		if !errors.Is(err, ErrUnsafe) {
			t.Errorf("ReadPolicyFile of a %s: %v, want ErrUnsafe", name, err)
		}
	}
}
