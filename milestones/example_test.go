package milestones_test

import (
	"fmt"
	"os"

	"github.com/waymarkhq/waymark/milestones"
)

// A program shows its user how far the quick start went on this machine.
func ExampleReached() {
	dir, err := milestones.Dir("acme", "", os.LookupEnv, os.UserConfigDir)
	if err != nil {
		fmt.Println("no state dir:", err)
		return
	}
	reached, _ := milestones.Reached(dir)
	if _, ok := reached["first_deploy"]; !ok {
		fmt.Println("Tip: run `acme deploy` to ship your first project.")
	}
}

// Dir resolves the state directory without creating it.
func ExampleDir() {
	noEnv := func(string) (string, bool) { return "", false }
	dir, _ := milestones.Dir("acme", "/srv/acme-state", noEnv, nil)
	fmt.Println(dir)
	_, ok := milestones.InstallationID(dir)
	fmt.Println("installation id present:", ok)
	// Output:
	// /srv/acme-state
	// installation id present: false
}
