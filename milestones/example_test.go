package milestones_test

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/waymarkhq/waymark/milestones"
)

// A host program records a milestone once per installation: the event is
// queued inside the callback, and later runs skip it.
func Example() {
	home, _ := os.MkdirTemp("", "waymark-example")
	defer os.RemoveAll(home)

	// A real program passes os.LookupEnv and os.UserConfigDir.
	noEnv := func(string) (string, bool) { return "", false }
	dir, err := milestones.Dir("acme", "", noEnv, func() (string, error) { return home, nil })
	if err != nil {
		fmt.Println(err)
		return
	}
	clock := func() time.Time { return time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC) }
	s := milestones.New(dir, clock)
	if err := s.Prepare(); err != nil {
		fmt.Println("telemetry off:", err)
		return
	}
	for run := 1; run <= 2; run++ {
		recorded, err := s.Record("first_run", func() error {
			fmt.Println("queue waymark.milestone first_run")
			return nil
		})
		fmt.Printf("run %d: recorded %v, err %v\n", run, recorded, err)
	}
	got, _ := s.Recorded()
	fmt.Println("first_run at", got["first_run"].Format(time.RFC3339))

	usage, _ := s.Claim("usage", 12*time.Hour, func() error { return nil })
	again, _ := s.Claim("usage", 12*time.Hour, func() error { return nil })
	fmt.Println("usage ping due:", usage, "then:", again)
	rel, _ := filepath.Rel(home, s.Dir())
	fmt.Println("state dir:", filepath.ToSlash(rel))
	// Output:
	// queue waymark.milestone first_run
	// run 1: recorded true, err <nil>
	// run 2: recorded false, err <nil>
	// first_run at 2026-11-23T10:00:00Z
	// usage ping due: true then: false
	// state dir: acme/telemetry
}
