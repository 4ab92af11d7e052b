// Command startphases shows where the time of a CLI run with telemetry on
// goes, to explain bench/cmd/exitcost's numbers. Each sample is a fresh
// process (the first call of everything is what a CLI pays, once per run):
// one kind times sdk.Start and Shutdown as a whole, with telemetry on and
// off; the other repeats the steps Start and Shutdown take in steady state
// (nothing pending, usage ping not due) one by one, through the internal
// packages sdk uses, and times each. It prints the median of each step. It judges
// nothing: the budgets are exitcost's.
//
// Run it from the module root:
//
//	go run ./bench/cmd/startphases [-runs 40]
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"time"

	"go.opentelemetry.io/otel/attribute"

	"github.com/waymarkhq/waymark/bench/internal/measure"
	"github.com/waymarkhq/waymark/internal/export"
	"github.com/waymarkhq/waymark/internal/statedir"
	"github.com/waymarkhq/waymark/internal/store"
	"github.com/waymarkhq/waymark/sdk"
)

// childArg marks a run of this binary as one sample.
const childArg = "-startphases-child"

func config() sdk.Config {
	return sdk.Config{
		Product:    "acme",
		Version:    "1.4.2",
		Endpoint:   "http://127.0.0.1:4318", // overridden by ACME_TELEMETRY_ENDPOINT
		Milestones: []string{"first_run", "first_deploy"},
	}
}

func main() {
	if len(os.Args) == 3 && os.Args[1] == childArg {
		child(os.Args[2])
		return
	}
	runs := flag.Int("runs", 40, "fresh processes per kind of sample")
	flag.Parse()
	if err := parent(*runs); err != nil {
		fmt.Fprintln(os.Stderr, "startphases:", err)
		os.Exit(2)
	}
}

// stopwatch collects "name=µs" marks, each the time since the previous one.
type stopwatch struct {
	last  time.Time
	marks []byte
}

func (s *stopwatch) mark(name string) {
	now := time.Now()
	s.marks = fmt.Appendf(s.marks, "%s=%d ", name, now.Sub(s.last).Microseconds())
	s.last = time.Now()
}

func child(kind string) {
	sw := &stopwatch{last: time.Now()}
	switch kind {
	case "seed":
		c, _ := sdk.Start(config())
		c.Milestone("first_run")
		c.Shutdown(context.Background())
	case "sdk":
		c, _ := sdk.Start(config())
		sw.mark("sdk.Start")
		c.Milestone("first_run")
		sw.mark("Milestone")
		c.Shutdown(context.Background())
		sw.mark("Shutdown")
	case "steps":
		dir := statedir.New(os.Getenv("ACME_TELEMETRY_DIR")).WithBudget(statedir.NewBudget(50 * time.Millisecond))
		dir.Check()
		sw.mark("statedir.Check")
		export.EnvHazard()
		sw.mark("export.EnvHazard")
		st := store.New(dir, time.Now)
		st.Prepare()
		sw.mark("Store.Prepare")
		st.DeviceID()
		sw.mark("Store.DeviceID")
		st.Recorded()
		sw.mark("Store.Recorded")
		st.Recorded()
		sw.mark("Store.Recorded(again)")
		sp := export.OpenSpool(dir, export.SpoolOptions{Now: time.Now})
		p, err := export.NewPipeline(export.Options{
			Resource:    []attribute.KeyValue{attribute.String("service.name", "acme")},
			Destination: export.ToSpool, Spool: sp, Version: sdk.Version,
		})
		if err != nil {
			os.Exit(1)
		}
		sw.mark("export.NewPipeline")
		st.Claim("usage", 12*time.Hour, func() error { return nil })
		sw.mark("Store.Claim(usage)")
		p.FlushMetrics(context.Background())
		sw.mark("Pipeline.FlushMetrics")
		sp.HasPending()
		sw.mark("Spool.HasPending")
		export.Due(dir, time.Now())
		sw.mark("export.Due")
		export.Due(dir, time.Now())
		sw.mark("export.Due(again)")
		export.Busy(dir)
		sw.mark("export.Busy")
		p.Shutdown(context.Background())
		sw.mark("Pipeline.Shutdown")
	}
	os.Stderr.Write(sw.marks)
}

func parent(runs int) error {
	if runs < 1 || runs > 10000 {
		return fmt.Errorf("bad -runs %d", runs)
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "waymark-startphases-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	// A collector that accepts everything, so the seed's events are delivered
	// and the measured runs find nothing pending: the steady state.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, io.LimitReader(r.Body, 1<<20))
	}), ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	defer srv.Close()

	home := filepath.Join(tmp, "home")
	state := filepath.Join(tmp, "state")
	os.MkdirAll(home, 0o700)
	env := measure.Env(home, "ACME_TELEMETRY_DIR="+state, "ACME_TELEMETRY_ENDPOINT=http://"+ln.Addr().String())
	envOff := append(append([]string{}, env...), "ACME_TELEMETRY=off")
	if _, err := measure.Run(self, []string{childArg, "seed"}, env, nil); err != nil {
		return err
	}
	// Let the seed's uploader deliver and exit.
	time.Sleep(2 * time.Second)

	type kind struct {
		label, arg string
		env        []string
	}
	kinds := []kind{{"telemetry on, sdk.Start / Milestone / Shutdown", "sdk", env},
		{"ACME_TELEMETRY=off, sdk.Start / Milestone / Shutdown", "sdk", envOff},
		{"telemetry on, the same steps one by one", "steps", env}}
	marks := make([]map[string][]float64, len(kinds))
	var order [][]string
	for i := range kinds {
		marks[i] = map[string][]float64{}
		order = append(order, nil)
	}
	re := regexp.MustCompile(`(\S+)=(\d+)`)
	for r := 0; r < runs; r++ {
		for i, k := range kinds {
			var stderr bytes.Buffer
			if _, err := measure.Run(self, []string{childArg, k.arg}, k.env, &stderr); err != nil {
				return err
			}
			for _, m := range re.FindAllStringSubmatch(stderr.String(), -1) {
				us, _ := strconv.ParseFloat(m[2], 64)
				if _, seen := marks[i][m[1]]; !seen {
					order[i] = append(order[i], m[1])
				}
				marks[i][m[1]] = append(marks[i][m[1]], us)
			}
		}
	}
	fmt.Printf("== where a run's telemetry time goes: medians of %d fresh processes, steady state (nothing pending)\n", runs)
	for i, k := range kinds {
		fmt.Printf("%s:\n", k.label)
		for _, name := range order[i] {
			fmt.Printf("  %7.0f µs  %s\n", measure.MedianFloat(marks[i][name]), name)
		}
	}
	return nil
}
