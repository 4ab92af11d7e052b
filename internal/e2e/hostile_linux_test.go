package e2e

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// The Linux-only proofs that hostile ground is survived: FIFOs and devices
// at state files, symlinks and foreign files watched with inotify, another
// process holding flock(2) on a lock, a state dir owned by another user or
// writable by others, run as root and as nobody, and a full tmpfs. They
// need root (CI and this machine run them as root); under -short they are skipped without it, otherwise they fail.

// nobody is the unprivileged user the tests run acme as.
const nobody = 65534

func requireRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() == 0 {
		return
	}
	t.Fatal("this test needs root (mounts, chown, running as nobody); run the e2e tests as root, as CI does")
}

// asUser makes cmd run as uid (its own group too); 0 leaves it as is.
func asUser(cmd *exec.Cmd, uid int) *exec.Cmd {
	if uid != 0 {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(uid)}}
	}
	return cmd
}

// sharedAcme is privateAcme in a folder that every user may enter, for runs
// as nobody.
func sharedAcme(t *testing.T, name string) string {
	t.Helper()
	bin := privateAcme(t, name)
	if err := os.Chmod(filepath.Dir(bin), 0o755); err != nil {
		t.Fatal(err)
	}
	return bin
}

// chownTree gives dir and everything under it to uid.
func chownTree(t *testing.T, dir string, uid int) {
	t.Helper()
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, uid, uid)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// holdFlock takes an exclusive flock(2) on path (creating it 0600) from
// this process, as another program would, and returns its release.
func holdFlock(t *testing.T, path string) (release func()) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		f.Close()
		t.Fatalf("flock %s: %v", path, err)
	}
	release = sync.OnceFunc(func() {
		unix.Flock(int(f.Fd()), unix.LOCK_UN)
		f.Close()
	})
	t.Cleanup(release)
	return release
}

// mountTmpfs mounts a tmpfs of the given size (e.g. "256k") on a new
// folder, unmounted (lazily) when the test ends.
func mountTmpfs(t *testing.T, size string) string {
	t.Helper()
	requireRoot(t)
	dir := tempDir(t)
	if err := unix.Mount("waymark-e2e", dir, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, "size="+size+",mode=0755"); err != nil {
		t.Fatalf("mount a %s tmpfs on %s: %v", size, dir, err)
	}
	t.Cleanup(func() { unix.Unmount(dir, unix.MNT_DETACH) })
	return dir
}

// fillUp writes path until the filesystem holding it has not one byte left.
func fillUp(t *testing.T, path string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, chunk := range []int{64 << 10, 4 << 10, 1} {
		buf := bytes.Repeat([]byte{'x'}, chunk)
		for {
			if _, err := f.Write(buf); err != nil {
				if !errors.Is(err, syscall.ENOSPC) {
					t.Fatalf("fill %s: %v", path, err)
				}
				break
			}
		}
	}
	// The proof that it is full: a new file cannot hold a byte.
	probe := filepath.Join(filepath.Dir(path), "probe")
	if err := os.WriteFile(probe, []byte("x"), 0o600); !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("after filling, writing a byte gives %v, want ENOSPC", err)
	}
	os.Remove(probe)
}

// spoolEntry is a spool entry as 0.1.0 (and the contract) names and
// encodes it: <16 hex ns>-<kind><signal>-<8 hex size>-<16 hex>.spool, a
// 16-byte header (magic WMSP, version 1, kind, signal, 0, payload length,
// CRC-32 of bytes 4..12 and the payload) and the payload.
func spoolEntry(at time.Time, kind, sig byte, rnd uint64, payload []byte) (name string, data []byte) {
	data = make([]byte, 16+len(payload))
	copy(data, "WMSP")
	data[4], data[5], data[6] = 1, kind, sig
	binary.BigEndian.PutUint32(data[8:], uint32(len(payload)))
	copy(data[16:], payload)
	crc := crc32.Update(crc32.ChecksumIEEE(data[4:12]), crc32.IEEETable, payload)
	binary.BigEndian.PutUint32(data[12:], crc)
	name = fmt.Sprintf("%016x-%d%d-%08x-%016x.spool", uint64(at.UnixNano()), kind, sig, len(data), rnd)
	return name, data
}

// dirWatch records inotify events in some folders: any open, read, write,
// creation, deletion, rename or attribute change of an entry in them, and
// (with self) of the folder itself.
type dirWatch struct {
	fd   int
	self bool
	wds  map[int32]string
	mu   sync.Mutex
	seen []string
	stop chan struct{}
	done chan struct{}
}

const watchMask = unix.IN_ACCESS | unix.IN_MODIFY | unix.IN_ATTRIB | unix.IN_CLOSE_WRITE | unix.IN_OPEN |
	unix.IN_MOVED_FROM | unix.IN_MOVED_TO | unix.IN_CREATE | unix.IN_DELETE | unix.IN_DELETE_SELF | unix.IN_MOVE_SELF

func watchDirs(t *testing.T, self bool, dirs ...string) *dirWatch {
	t.Helper()
	fd, err := unix.InotifyInit1(unix.IN_CLOEXEC | unix.IN_NONBLOCK)
	if err != nil {
		t.Fatalf("inotify: %v", err)
	}
	w := &dirWatch{fd: fd, self: self, wds: map[int32]string{}, stop: make(chan struct{}), done: make(chan struct{})}
	for _, d := range dirs {
		wd, err := unix.InotifyAddWatch(fd, d, watchMask)
		if err != nil {
			unix.Close(fd)
			t.Fatalf("inotify watch %s: %v", d, err)
		}
		w.wds[int32(wd)] = d
	}
	go w.loop()
	t.Cleanup(func() { w.Stop() })
	return w
}

func (w *dirWatch) loop() {
	defer close(w.done)
	buf := make([]byte, 64<<10)
	stopping := false
	for {
		n, err := unix.Read(w.fd, buf)
		if n > 0 {
			w.parse(buf[:n])
			continue
		}
		if errors.Is(err, unix.EAGAIN) || errors.Is(err, unix.EINTR) {
			if stopping {
				return
			}
			select {
			case <-w.stop:
				stopping = true // one more read drains what is queued
			case <-time.After(10 * time.Millisecond):
			}
			continue
		}
		return
	}
}

func (w *dirWatch) parse(b []byte) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for len(b) >= unix.SizeofInotifyEvent {
		wd := int32(binary.NativeEndian.Uint32(b[0:]))
		mask := binary.NativeEndian.Uint32(b[4:])
		n := int(binary.NativeEndian.Uint32(b[12:]))
		if unix.SizeofInotifyEvent+n > len(b) {
			return
		}
		name := string(bytes.TrimRight(b[unix.SizeofInotifyEvent:unix.SizeofInotifyEvent+n], "\x00"))
		b = b[unix.SizeofInotifyEvent+n:]
		if mask&unix.IN_Q_OVERFLOW != 0 {
			w.seen = append(w.seen, "event queue overflow")
			continue
		}
		if mask&unix.IN_IGNORED != 0 || (name == "" && !w.self) {
			continue
		}
		w.seen = append(w.seen, fmt.Sprintf("%s %s", filepath.Join(w.wds[wd], name), maskNames(mask)))
	}
}

func maskNames(m uint32) string {
	var out []string
	for _, f := range []struct {
		bit  uint32
		name string
	}{
		{unix.IN_ACCESS, "read"}, {unix.IN_MODIFY, "write"}, {unix.IN_ATTRIB, "attrib"},
		{unix.IN_CLOSE_WRITE, "close-write"}, {unix.IN_OPEN, "open"}, {unix.IN_MOVED_FROM, "moved-from"},
		{unix.IN_MOVED_TO, "moved-to"}, {unix.IN_CREATE, "create"}, {unix.IN_DELETE, "delete"},
		{unix.IN_DELETE_SELF, "delete-self"}, {unix.IN_MOVE_SELF, "move-self"}, {unix.IN_ISDIR, "(dir)"},
	} {
		if m&f.bit != 0 {
			out = append(out, f.name)
		}
	}
	return strings.Join(out, "|")
}

// Stop ends the watch and returns every event seen.
func (w *dirWatch) Stop() []string {
	select {
	case <-w.stop:
	default:
		close(w.stop)
		<-w.done
		unix.Close(w.fd)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	// Distinct events in order of first sight, each with its count.
	var out []string
	n := map[string]int{}
	for _, e := range w.seen {
		if n[e] == 0 {
			out = append(out, e)
		}
		n[e]++
	}
	for i, e := range out {
		if n[e] > 1 {
			out[i] = fmt.Sprintf("%s (x%d)", e, n[e])
		}
	}
	if len(out) > 25 {
		out = append(out[:25], fmt.Sprintf("... and %d more", len(out)-25))
	}
	return out
}

// statusOf runs `telemetry status --json` with bin (as uid) and decodes it.
func statusOf(t *testing.T, in *Install, bin string, uid int) map[string]any {
	t.Helper()
	r, hung := runWithin(t, asUser(in.Cmd(bin, nil, "telemetry", "status", "--json"), uid), 10*time.Second)
	if hung || r.Code != 0 {
		t.Fatalf("telemetry status --json: hung %v, exit %d\n%s%s", hung, r.Code, r.Stdout, r.Stderr)
	}
	var st map[string]any
	if err := json.Unmarshal([]byte(r.Stdout), &st); err != nil {
		t.Fatalf("telemetry status --json is not JSON: %v\n%s", err, r.Stdout)
	}
	return st
}

// A `spool` symlink to a folder of the user's
// files (one named like a spool entry, one like a temp file), and a real
// `spool/` folder that already holds foreign files. After acme hello and
// deploy, telemetry status, disable, enable, reset and more runs (each
// with its uploader finished), every foreign file is still there,
// unchanged; the linked folder was not even opened (inotify).
func TestSpoolLinkAndForeignFilesSurvive(t *testing.T) {
	t.Run("spool is a symlink to the user's folder", func(t *testing.T) {
		t.Parallel()
		col := newCollector(t)
		in := newInstall(t, col.URL)
		bin := privateAcme(t, hostileBin())
		state := in.StateDir()
		if err := os.MkdirAll(state, 0o700); err != nil {
			t.Fatal(err)
		}
		user := filepath.Join(tempDir(t), "My Files")
		name, _ := spoolEntry(time.Now(), 3, 1, 0x1234, []byte{0x0a, 0x00})
		writeFiles(t, user, map[string]string{
			"holiday.jpg":                 "\xff\xd8\xff not really a jpeg",
			"taxes-2025.pdf":              "%PDF-1.7 the user's taxes",
			name:                          "the user's file that happens to look like a spool entry",
			"." + name + ".tmp-123456":    "and one like a stale temp file",
			"projects/acme/deploy.yaml":   "kind: Deployment",
			"projects/acme/.keep":         "",
			"projects/acme/notes (1).txt": "notes",
		}, 0o644)
		if err := os.Symlink(user, filepath.Join(state, "spool")); err != nil {
			t.Fatal(err)
		}
		before := snapshot(t, user)
		w := watchDirs(t, true, user, filepath.Join(user, "projects"), filepath.Join(user, "projects", "acme"))
		runSpoolScenario(t, in, bin)
		if ev := w.Stop(); len(ev) > 0 {
			t.Errorf("the folder the spool link points to was touched:\n  %s", strings.Join(ev, "\n  "))
		}
		if d := diffSnapshots(before, snapshot(t, user)); len(d) > 0 {
			t.Errorf("the user's files changed:\n  %s", strings.Join(d, "\n  "))
		}
	})
	t.Run("spool folder holds foreign files", func(t *testing.T) {
		t.Parallel()
		col := newCollector(t)
		in := newInstall(t, col.URL)
		bin := privateAcme(t, hostileBin())
		spool := filepath.Join(in.StateDir(), "spool")
		if err := os.MkdirAll(spool, 0o700); err != nil {
			t.Fatal(err)
		}
		foreign := map[string]string{
			"notes.txt":        "someone's notes",
			"README":           "not Waymark's",
			"backup/inner.txt": "in a sub-folder",
			"spool.db":         "another tool's queue",
			".hidden":          "hidden",
		}
		writeFiles(t, spool, foreign, 0o600)
		before := snapshot(t, spool)
		runSpoolScenario(t, in, bin)
		after := snapshot(t, spool)
		for rel, b := range before {
			if a, ok := after[rel]; !ok {
				t.Errorf("foreign %s in spool/ was deleted", rel)
			} else if a != b {
				t.Errorf("foreign %s in spool/ changed: %v → %v", rel, b, a)
			}
		}
	})
}

// runSpoolScenario is the spool test's sequence of runs, each uploader finished
// before the next step, ending with none left.
func runSpoolScenario(t *testing.T, in *Install, bin string) {
	t.Helper()
	hostRun(t, in, bin, nil, 30*time.Second, hello, "hello")
	waitIdle(t, bin)
	hostRun(t, in, bin, nil, 30*time.Second, deployed, "deploy")
	waitIdle(t, bin)
	telemetryRun(t, in, bin, nil, 10*time.Second, "status")
	telemetryRun(t, in, bin, nil, 10*time.Second, "status", "--json")
	telemetryRun(t, in, bin, nil, 10*time.Second, "disable")
	hostRun(t, in, bin, nil, 30*time.Second, hello, "hello")
	telemetryRun(t, in, bin, nil, 10*time.Second, "enable")
	hostRun(t, in, bin, nil, 30*time.Second, hello, "hello")
	waitIdle(t, bin)
	telemetryRun(t, in, bin, nil, 10*time.Second, "reset")
	hostRun(t, in, bin, nil, 30*time.Second, hello, "hello")
	hostRun(t, in, bin, nil, 30*time.Second, deployed, "deploy")
	requireNoneLeft(t, bin, time.Now())
}

// The state files lock, upload.lock, local.jsonl,
// device_id and milestones.json are symlinks, to an existing file of the
// user's or to a name that does not exist. Through local and on runs,
// status, disable, enable and reset, nothing is created, written or read at
// the targets: their folder sees no inotify event at all, an existing
// target is unchanged, a missing one stays missing, and the installation id
// a linked device_id holds is never shown or sent.
func TestStateFileLinksAreNotFollowed(t *testing.T) {
	const planted = "5f0c6a52-8d3e-4c1b-9a7e-2b4d6f8a1c3e"
	content := map[string]string{
		"lock":            "the user's lock file\n",
		"upload.lock":     "the user's other lock file\n",
		"local.jsonl":     `{"the":"user's own log"}` + "\n",
		"device_id":       planted + "\n",
		"milestones.json": `{"installation_id":"` + planted + `","milestones":{"first_run":"2026-01-01T00:00:00Z","first_deploy":"2026-01-01T00:00:00Z"}}`,
	}
	for _, name := range []string{"lock", "upload.lock", "local.jsonl", "device_id", "milestones.json"} {
		for _, exists := range []bool{true, false} {
			label := name + " to a missing file"
			if exists {
				label = name + " to the user's file"
			}
			t.Run(label, func(t *testing.T) {
				t.Parallel()
				col := newCollector(t)
				in := newInstall(t, col.URL)
				bin := privateAcme(t, hostileBin())
				state := in.StateDir()
				if err := os.MkdirAll(state, 0o700); err != nil {
					t.Fatal(err)
				}
				user := tempDir(t)
				target := filepath.Join(user, "user-"+name)
				if exists {
					writeFiles(t, user, map[string]string{"user-" + name: content[name]}, 0o600)
				}
				if err := os.Symlink(target, filepath.Join(state, name)); err != nil {
					t.Fatal(err)
				}
				before := snapshot(t, user)
				w := watchDirs(t, true, user)

				hostRun(t, in, bin, []string{"ACME_TELEMETRY=local"}, 30*time.Second, hello, "hello")
				hostRun(t, in, bin, nil, 30*time.Second, hello, "hello")
				hostRun(t, in, bin, nil, 30*time.Second, deployed, "deploy")
				waitIdle(t, bin)
				st := statusOf(t, in, bin, 0)
				telemetryRun(t, in, bin, nil, 10*time.Second, "status")
				telemetryRun(t, in, bin, nil, 10*time.Second, "disable")
				telemetryRun(t, in, bin, nil, 10*time.Second, "enable")
				hostRun(t, in, bin, nil, 30*time.Second, hello, "hello")
				telemetryRun(t, in, bin, nil, 10*time.Second, "reset")
				hostRun(t, in, bin, nil, 30*time.Second, hello, "hello")
				hostRun(t, in, bin, nil, 30*time.Second, deployed, "deploy")
				requireNoneLeft(t, bin, time.Now())

				if ev := w.Stop(); len(ev) > 0 {
					t.Errorf("the target of the %s link was touched:\n  %s", name, strings.Join(ev, "\n  "))
				}
				if d := diffSnapshots(before, snapshot(t, user)); len(d) > 0 {
					t.Errorf("the user's folder changed:\n  %s", strings.Join(d, "\n  "))
				}
				if st["device_id"] == planted {
					t.Errorf("status shows the installation id read through the %s link", name)
				}
				for _, e := range col.Events() {
					if e.Resource["app.installation.id"] == planted {
						t.Errorf("%s was sent with the installation id read through the %s link", e.Name, name)
						break
					}
				}
			})
		}
	}
}

// A FIFO, a symlink to /dev/zero, or a 1 GiB sparse file
// at each state file. acme deploy and hello (on, and local) do their work,
// exit 0 within 2 s with nothing on stderr; telemetry status (text and
// JSON) answers within 2 s; no acme process is left 15 s after the last
// run.
func TestHostileStateFilesNeverHang(t *testing.T) {
	const limit = 2 * time.Second
	names := []string{"device_id", "mode", "milestones.json", "upload.json", "notice_shown", "ticket-usage",
		"local.jsonl", "lock", "upload.lock", "spool"}
	kinds := []struct {
		name  string
		plant func(t *testing.T, path string)
	}{
		{"fifo", func(t *testing.T, path string) {
			if err := unix.Mkfifo(path, 0o600); err != nil {
				t.Fatal(err)
			}
		}},
		{"link to /dev/zero", func(t *testing.T, path string) {
			if err := os.Symlink("/dev/zero", path); err != nil {
				t.Fatal(err)
			}
		}},
		{"1 GiB sparse file", func(t *testing.T, path string) {
			f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if err := f.Truncate(1 << 30); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, kind := range kinds {
		for _, name := range names {
			t.Run(kind.name+" at "+name, func(t *testing.T) {
				t.Parallel()
				col := newCollector(t)
				in := newInstall(t, col.URL)
				bin := privateAcme(t, hostileBin())
				state := in.StateDir()
				if err := os.MkdirAll(state, 0o700); err != nil {
					t.Fatal(err)
				}
				kind.plant(t, filepath.Join(state, name))
				hostRun(t, in, bin, []string{"ACME_TELEMETRY=local"}, limit, hello, "hello")
				hostRun(t, in, bin, nil, limit, deployed, "deploy")
				hostRun(t, in, bin, nil, limit, hello, "hello")
				telemetryRun(t, in, bin, nil, limit, "status")
				telemetryRun(t, in, bin, nil, limit, "status", "--json")
				hostRun(t, in, bin, nil, limit, deployed, "deploy")
				requireNoneLeft(t, bin, time.Now())
			})
		}
	}
}

// median returns the median of ds.
func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// Another process holds `lock` or
// `upload.lock` (flock(2) from this test). A first milestone's run (acme
// hello on a fresh install) takes at most 100 ms longer, median of 15 runs
// with the lock held against 15 without, interleaved. Not parallel: it
// measures time.
func TestHeldLockCostsAtMost100ms(t *testing.T) {
	const runs = 15
	const budget = 100 * time.Millisecond
	for _, lock := range []string{"lock", "upload.lock"} {
		t.Run(lock, func(t *testing.T) {
			bin := privateAcme(t, hostileBin())
			refused := "http://" + reservePort(t)
			var held, free []time.Duration
			for i := 0; i < runs; i++ {
				for _, hold := range []bool{i%2 == 0, i%2 == 1} {
					in := newInstall(t, refused)
					state := in.StateDir()
					if err := os.MkdirAll(state, 0o700); err != nil {
						t.Fatal(err)
					}
					path := filepath.Join(state, lock)
					if err := os.WriteFile(path, nil, 0o600); err != nil {
						t.Fatal(err)
					}
					release := func() {}
					if hold {
						release = holdFlock(t, path)
					}
					r := hostRun(t, in, bin, nil, 30*time.Second, hello, "hello")
					release()
					if hold {
						held = append(held, r.Elapsed)
					} else {
						free = append(free, r.Elapsed)
					}
				}
			}
			mh, mf := median(held), median(free)
			t.Logf("%s held: median %v, fastest %v (all %v); not held: median %v, fastest %v (all %v)",
				lock, mh, slices.Min(held), held, mf, slices.Min(free), free)
			if mh-mf > budget {
				t.Errorf("with %s held a first run takes %v longer (median %v against %v), budget %v", lock, mh-mf, mh, mf, budget)
			}
			requireNoneLeft(t, bin, time.Now())
		})
	}
}

// With `lock` or `upload.lock` held by
// another process, a first `acme hello` exits normally; once the lock is
// released, one later run gets first_run recorded and sent, exactly once.
func TestHeldLockMilestoneSentOnceLater(t *testing.T) {
	for _, lock := range []string{"lock", "upload.lock"} {
		t.Run(lock, func(t *testing.T) {
			t.Parallel()
			col := newCollector(t)
			in := newInstall(t, col.URL)
			bin := privateAcme(t, hostileBin())
			state := in.StateDir()
			if err := os.MkdirAll(state, 0o700); err != nil {
				t.Fatal(err)
			}
			release := holdFlock(t, filepath.Join(state, lock))
			hostRun(t, in, bin, nil, 30*time.Second, hello, "hello")
			time.Sleep(quietWait) // what that run started has tried
			waitIdle(t, bin)
			release()
			hostRun(t, in, bin, nil, 30*time.Second, hello, "hello")
			last := time.Now()
			if !col.WaitFor(deliveryWait, func() bool { return len(col.Named("waymark.milestone")) > 0 }) {
				t.Fatalf("first_run never arrived after %s was released and acme ran again; status %v", lock, brief(statusJSON(t, in, nil)))
			}
			if st, ok := waitStatus(t, in, 10*time.Second, func(st map[string]any) bool { return nothingPending(st) }); !ok {
				t.Errorf("events still pending: %s", brief(st))
			}
			requireNoneLeft(t, bin, last)
			ms := col.Named("waymark.milestone")
			if len(ms) != 1 || ms[0].Attrs["milestone.name"] != "first_run" {
				var names []string
				for _, m := range ms {
					names = append(names, m.Attrs["milestone.name"]+" "+m.Attrs["event.id"])
				}
				t.Errorf("milestones received %v, want first_run exactly once", names)
			}
			if got := fmt.Sprint(statusJSON(t, in, nil)["milestones"]); got != "[first_run]" {
				t.Errorf("status milestones %s, want [first_run]", got)
			}
		})
	}
}

// A state dir writable by group or others, or owned by
// another user, run as root and as nobody. acme hello and deploy still work;
// nothing in the dir is opened, read, written, created or deleted
// (inotify, and a snapshot of every entry), nothing is written in HOME,
// nothing is sent, telemetry disable and reset change nothing there, and
// status says mode off, rule state_dir_unsafe, with a reason naming the dir
// and why. A planted installation id and milestones are never shown. A
// control, the same as nobody in a dir of its own, proves the runs as
// nobody work at all.
func TestUnsafeStateDirIsNotUsed(t *testing.T) {
	requireRoot(t)
	const planted = "0b4d1dea-5e1f-4a2b-8c3d-4e5f6a7b8c9d"
	const (
		writable = "writable by group or others"
		foreign  = "owned by another user"
	)
	cases := []struct {
		name     string
		owner    int
		mode     os.FileMode
		runAs    int
		why      []string // the reason names one of these
		spoolLnk bool     // plant spool as a symlink to a victim folder
	}{
		{"world-writable, run as root", 0, 0o777, 0, []string{writable}, false},
		{"group-writable, run as root", 0, 0o770, 0, []string{writable}, false},
		{"sticky and world-writable like /tmp, run as root", 0, 0o777 | os.ModeSticky, 0, []string{writable}, false},
		{"world-writable with a spool link planted by nobody, run as root", 0, 0o777, 0, []string{writable}, true},
		{"owned by nobody, run as root", nobody, 0o700, 0, []string{foreign}, false},
		{"owned by root, run as nobody", 0, 0o755, nobody, []string{foreign}, false},
		{"nobody's own but world-writable, run as nobody", nobody, 0o777, nobody, []string{writable}, false},
		{"owned by root and world-writable, run as nobody", 0, 0o777, nobody, []string{writable, foreign}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			col := newCollector(t)
			in := newInstall(t, col.URL)
			bin := sharedAcme(t, hostileBin())
			if tc.runAs != 0 {
				chownTree(t, in.Home, tc.runAs)
			}
			parent := tempDir(t)
			if err := os.Chmod(parent, 0o755); err != nil {
				t.Fatal(err)
			}
			state := filepath.Join(parent, "state")
			if err := os.Mkdir(state, 0o700); err != nil {
				t.Fatal(err)
			}
			name, data := spoolEntry(time.Now(), 1, 1, 0xfeed, []byte{0x0a, 0x00})
			writeFiles(t, state, map[string]string{
				"device_id":       planted + "\n",
				"milestones.json": `{"installation_id":"` + planted + `","milestones":{"first_run":"2026-01-01T00:00:00Z"}}`,
				"mode":            "on\n",
				"ticket-usage":    "2026-01-01T00:00:00Z\n",
			}, 0o644)
			var victim string
			if tc.spoolLnk {
				victim = filepath.Join(tempDir(t), "root's files")
				writeFiles(t, victim, map[string]string{"id_rsa": "PRIVATE", "important.db": "data"}, 0o600)
				if err := os.Symlink(victim, filepath.Join(state, "spool")); err != nil {
					t.Fatal(err)
				}
			} else {
				writeFiles(t, state, map[string]string{"spool/" + name: string(data)}, 0o644)
			}
			chownTree(t, state, tc.owner)
			if err := os.Chmod(state, tc.mode); err != nil {
				t.Fatal(err)
			}
			in.Env = []string{"ACME_TELEMETRY_DIR=" + state}

			before := snapshot(t, state)
			var victimBefore map[string]entryState
			dirs := []string{state}
			if tc.spoolLnk {
				victimBefore = snapshot(t, victim)
				dirs = append(dirs, victim)
			} else {
				dirs = append(dirs, filepath.Join(state, "spool"))
			}
			w := watchDirs(t, false, dirs...)
			run := func(want string, args ...string) {
				t.Helper()
				r, hung := runWithin(t, asUser(in.Cmd(bin, nil, args...), tc.runAs), 30*time.Second)
				if hung || r.Code != 0 || r.Stdout != want || r.Stderr != "" {
					t.Fatalf("acme %v: hung %v, exit %d, stdout %q, stderr %q; want exit 0, stdout %q, no stderr", args, hung, r.Code, r.Stdout, r.Stderr, want)
				}
			}
			run(hello, "hello")
			run(deployed, "deploy")
			st := statusOf(t, in, bin, tc.runAs)
			text, hung := runWithin(t, asUser(in.Cmd(bin, nil, "telemetry", "status"), tc.runAs), 10*time.Second)
			if hung {
				t.Fatal("telemetry status hung")
			}
			for _, sub := range []string{"disable", "reset", "enable"} {
				if _, hung := runWithin(t, asUser(in.Cmd(bin, nil, "telemetry", sub), tc.runAs), 10*time.Second); hung {
					t.Fatalf("telemetry %s hung", sub)
				}
			}
			run(hello, "hello")
			last := time.Now()
			time.Sleep(quietWait)
			if reqs := col.Requests(); len(reqs) > 0 {
				t.Errorf("%d requests reached the endpoint (first to %s), want none", len(reqs), reqs[0].Path)
			}
			requireNoneLeft(t, bin, last)
			if ev := w.Stop(); len(ev) > 0 {
				t.Errorf("the unsafe state dir was used:\n  %s", strings.Join(ev, "\n  "))
			}
			if d := diffSnapshots(before, snapshot(t, state)); len(d) > 0 {
				t.Errorf("the unsafe state dir changed:\n  %s", strings.Join(d, "\n  "))
			}
			if tc.spoolLnk {
				if d := diffSnapshots(victimBefore, snapshot(t, victim)); len(d) > 0 {
					t.Errorf("the folder the planted spool link points to changed:\n  %s", strings.Join(d, "\n  "))
				}
			}
			if fs := files(t, in.Home); len(fs) > 0 {
				t.Errorf("written in HOME instead: %v", fs)
			}
			reason, _ := st["reason"].(string)
			if st["mode"] != "off" || st["rule"] != "state_dir_unsafe" || !strings.Contains(reason, state) ||
				!slices.ContainsFunc(tc.why, func(w string) bool { return strings.Contains(reason, w) }) {
				t.Errorf("status: mode %v, rule %v, reason %q; want off, state_dir_unsafe, a reason naming %s and saying %q",
					st["mode"], st["rule"], reason, state, tc.why)
			}
			if st["device_id"] == planted || strings.Contains(text.Stdout, planted) {
				t.Errorf("status shows the installation id read from the unsafe dir")
			}
			if ms, _ := st["milestones"].([]any); len(ms) > 0 {
				t.Errorf("status shows milestones %v read from the unsafe dir", ms)
			}
		})
	}
	t.Run("control: nobody's own 0700 dir works", func(t *testing.T) {
		t.Parallel()
		col := newCollector(t)
		in := newInstall(t, col.URL)
		bin := sharedAcme(t, hostileBin())
		chownTree(t, in.Home, nobody)
		r, hung := runWithin(t, asUser(in.Cmd(bin, nil, "hello"), nobody), 30*time.Second)
		if hung || r.Code != 0 || r.Stdout != hello || r.Stderr != "" {
			t.Fatalf("acme hello as nobody: hung %v, exit %d, stdout %q, stderr %q", hung, r.Code, r.Stdout, r.Stderr)
		}
		if !col.WaitFor(deliveryWait, func() bool { return len(col.Named("waymark.milestone")) > 0 }) {
			t.Fatalf("acme hello as nobody in its own state dir sent no milestone; status %v", brief(statusOf(t, in, bin, nobody)))
		}
		if st := statusOf(t, in, bin, nobody); st["mode"] != "on" {
			t.Errorf("status as nobody: mode %v (%v), want on", st["mode"], st["reason"])
		}
		requireNoneLeft(t, bin, time.Now())
	})
}

// The state dir on a full filesystem (a 256 KiB tmpfs,
// filled to the last byte). acme exits 0 with nothing on stderr, status
// --json shows the write failure in last_error, and once space is freed
// the milestone is recorded and sent exactly once. Two cases: the first run
// of an install, and a later milestone of an install that has its id.
func TestFullDiskIsShownThenRecovered(t *testing.T) {
	requireRoot(t)
	noSpace := func(t *testing.T, in *Install, bin string) {
		t.Helper()
		st := statusOf(t, in, bin, 0)
		le, present := st["last_error"]
		s, _ := le.(string)
		if !present || !strings.Contains(strings.ToLower(s), "no space left") {
			t.Errorf("status --json last_error %q (present %v), want the write failure (no space left on device); status %s", s, present, brief(st))
		}
	}
	t.Run("first run", func(t *testing.T) {
		t.Parallel()
		col := newCollector(t)
		in := newInstall(t, col.URL)
		bin := privateAcme(t, hostileBin())
		mnt := mountTmpfs(t, "256k")
		in.Env = []string{"ACME_TELEMETRY_DIR=" + filepath.Join(mnt, "state")}
		filler := filepath.Join(mnt, "filler")
		fillUp(t, filler)
		hostRun(t, in, bin, nil, 30*time.Second, hello, "hello")
		waitIdle(t, bin)
		noSpace(t, in, bin)
		if err := os.Remove(filler); err != nil {
			t.Fatal(err)
		}
		hostRun(t, in, bin, nil, 30*time.Second, hello, "hello")
		requireSentOnce(t, col, in, bin, "first_run")
	})
	t.Run("later milestone", func(t *testing.T) {
		t.Parallel()
		col := newCollector(t)
		in := newInstall(t, col.URL)
		bin := privateAcme(t, hostileBin())
		mnt := mountTmpfs(t, "256k")
		in.Env = []string{"ACME_TELEMETRY_DIR=" + filepath.Join(mnt, "state")}
		hostRun(t, in, bin, nil, 30*time.Second, hello, "hello")
		if !col.WaitFor(deliveryWait, func() bool { return len(col.Named("waymark.milestone")) > 0 }) {
			t.Fatal("first_run never arrived before the disk was filled")
		}
		waitStatus(t, in, 10*time.Second, func(st map[string]any) bool { return nothingPending(st) })
		waitIdle(t, bin)
		filler := filepath.Join(mnt, "filler")
		fillUp(t, filler)
		hostRun(t, in, bin, nil, 30*time.Second, deployed, "deploy")
		waitIdle(t, bin)
		noSpace(t, in, bin)
		if err := os.Remove(filler); err != nil {
			t.Fatal(err)
		}
		hostRun(t, in, bin, nil, 30*time.Second, deployed, "deploy")
		requireSentOnce(t, col, in, bin, "first_deploy")
		if n := len(col.Named("waymark.milestone")); n != 2 {
			t.Errorf("%d milestones received, want first_run and first_deploy once each", n)
		}
	})
}

// requireSentOnce waits for milestone to arrive, for nothing to be pending
// and for every uploader to end, then requires it received exactly once.
func requireSentOnce(t *testing.T, col *Collector, in *Install, bin, milestone string) {
	t.Helper()
	last := time.Now()
	named := func() []Event {
		var out []Event
		for _, e := range col.Named("waymark.milestone") {
			if e.Attrs["milestone.name"] == milestone {
				out = append(out, e)
			}
		}
		return out
	}
	if !col.WaitFor(deliveryWait, func() bool { return len(named()) > 0 }) {
		t.Fatalf("%s never arrived after space was freed; status %s", milestone, brief(statusOf(t, in, bin, 0)))
	}
	if st, ok := waitStatus(t, in, 10*time.Second, func(st map[string]any) bool { return nothingPending(st) }); !ok {
		t.Errorf("events still pending: %s", brief(st))
	}
	requireNoneLeft(t, bin, last)
	if n := len(named()); n != 1 {
		t.Errorf("%s received %d times, want exactly once", milestone, n)
	}
}
