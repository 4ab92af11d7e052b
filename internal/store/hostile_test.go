//go:build unix

package store

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/waymarkhq/waymark/internal/statedir"
)

// A link or a FIFO at any state file: every Store call returns at once,
// nothing is written through the link, the entry stays as it is, and the
// installation id is never forked (a device_id that cannot be read safely
// is an error, not a reason to make a new one).
func TestHostileStateFiles(t *testing.T) {
	kinds := map[string]func(t *testing.T, path, outside string){
		"link": func(t *testing.T, path, outside string) {
			if err := os.Symlink(outside, path); err != nil {
				t.Fatal(err)
			}
		},
		"fifo": func(t *testing.T, path, _ string) {
			if err := unix.Mkfifo(path, 0o600); err != nil {
				t.Fatal(err)
			}
		},
	}
	const id = "0b4e3c1a-8f2d-4c6e-9a1b-2d3e4f5a6b7c"
	for kind, plant := range kinds {
		for _, name := range []string{"device_id", "milestones.json", "mode", "notice_shown", "ticket-usage", "lock"} {
			t.Run(kind+" at "+name, func(t *testing.T) {
				state := t.TempDir()
				outside := filepath.Join(t.TempDir(), "user-file")
				userData := []byte(id + "\n") // a valid id: reading it through the link would be a leak
				if err := os.WriteFile(outside, userData, 0o600); err != nil {
					t.Fatal(err)
				}
				if name != "device_id" {
					writeFile(t, filepath.Join(state, "device_id"), []byte("11111111-2222-4333-8444-555555555555\n"))
				}
				path := filepath.Join(state, name)
				plant(t, path, outside)
				before, _ := os.Lstat(path)
				s := New(statedir.New(state), nil)
				s.lockWait = 50 * time.Millisecond
				done := make(chan error, 1)
				go func() {
					_, _, errID := s.DeviceID()
					_, errRec := s.Record("first_run", func() error { return nil })
					s.Recorded()
					s.Mode()
					s.SetMode("local")
					s.NoticeShown("v1")
					s.MarkNoticeShown("v1")
					s.Claim("usage", time.Hour, nil)
					s.LastClaim("usage")
					if name == "device_id" && errID == nil {
						done <- errors.New("DeviceID made a new id beside an unsafe device_id")
						return
					}
					if (name == "device_id" || name == "milestones.json" || name == "lock") && errRec == nil {
						done <- errors.New("Record succeeded with an unsafe " + name)
						return
					}
					done <- nil
				}()
				select {
				case err := <-done:
					if err != nil {
						t.Fatal(err)
					}
				case <-time.After(5 * time.Second):
					t.Fatal("a Store call blocked")
				}
				if got, _ := os.ReadFile(outside); !bytes.Equal(got, userData) {
					t.Fatalf("the link's target now holds %q", got)
				}
				after, err := os.Lstat(path)
				if err != nil || after.Mode() != before.Mode() {
					t.Fatalf("the entry changed: %v -> %v (%v)", before.Mode(), after, err)
				}
				if got, ok := s.PeekDeviceID(); name == "device_id" && ok {
					t.Fatalf("PeekDeviceID read %q through a %s", got, kind)
				}
			})
		}
	}
}
