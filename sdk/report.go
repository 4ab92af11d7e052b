package sdk

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/user"
	"runtime/debug"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"

	"github.com/waymarkhq/waymark/gate"
	"github.com/waymarkhq/waymark/internal/schema"
	"github.com/waymarkhq/waymark/internal/scrub"
	"github.com/waymarkhq/waymark/internal/uuidx"
)

// promptWait bounds how long ReportPanics waits for an answer.
const promptWait = 30 * time.Second

// ReportPanics, deferred at the top of main (or of a goroutine), catches a
// panic, asks on a terminal "Send an error report to <product>? … [y/N]"
// (saying what the report holds and what is removed from it), sends a
// scrubbed report only on yes, and then panics again with the same value so
// the program fails exactly as it would have (exit status 2). Without a
// terminal it asks nothing and sends nothing. With telemetry off it only
// re-panics.
func (c *Client) ReportPanics() {
	r := recover()
	if r == nil {
		return
	}
	stack := debug.Stack()
	c.offerReport(r, stack)
	// Whatever the answer, this run's events leave as on a normal exit: a
	// CLI hands them to the detached uploader without waiting.
	c.Shutdown(context.Background())
	panic(r)
}

func (c *Client) offerReport(r any, stack []byte) {
	// A report is offered even after Shutdown, so the order of the defers
	// never loses it; it then starts the uploader again below.
	if c == nil || c.ms == nil || c.decision.Mode == gate.Off {
		return
	}
	if c.decision.Agent != "" {
		// An agent run never waits for input, and no person is there to
		// say yes: no prompt, no report.
		return
	}
	if c.decision.Mode != gate.Debug {
		if !gate.IsTerminal(os.Stdin.Fd()) || !c.h.stderrTerminal() {
			return
		}
		// The prompt promises what the scrubber does, nothing more: free
		// text is scrubbed by rules, so the report is not called anonymous.
		fmt.Fprintf(c.h.stderr, "%s crashed. Send an error report to %s? It holds the panic message and stack trace, "+
			"with user and host names, paths, e-mail and IP addresses and secret-looking values removed. [y/N] ", c.cfg.Product, c.cfg.Product)
		if !readYes(os.Stdin, promptWait) {
			fmt.Fprintln(c.h.stderr, "No report sent.")
			return
		}
	}
	if !c.ready() { // only now, after a yes: a no writes nothing
		return
	}
	home, _ := os.UserHomeDir()
	name := ""
	if u, err := user.Current(); err == nil {
		name = u.Username
	}
	host, _ := c.h.hostname()
	s := scrub.NewWith(scrub.Options{Home: home, User: name, Host: host, Environ: c.h.environ()})
	eid, _ := uuidx.NewV4()
	emit := func() error {
		return c.emit(schema.EventErrorReport,
			attribute.String("event.id", eid),
			attribute.String("exception.type", s.String(fmt.Sprintf("%T", r))),
			attribute.String("exception.message", s.String(fmt.Sprint(r))),
			attribute.String("exception.stacktrace", s.String(string(stack))),
		)
	}
	var err error
	if c.store != nil {
		err = c.store.Locked(emit) // only while consent stands
	} else {
		err = emit()
	}
	if err != nil {
		c.note("error report: %v", err)
		return
	}
	if c.closed.Load() {
		if c.srv != nil {
			c.finalFlush(context.Background())
		} else {
			c.maybeDetach()
		}
	}
	if c.decision.Mode == gate.On {
		fmt.Fprintln(c.h.stderr, "Thank you; the report will be sent.")
	}
}

// readYes reads one line and reports whether it starts with y or Y. No
// answer within wait counts as no.
func readYes(f *os.File, wait time.Duration) bool {
	ans := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(f).ReadString('\n')
		ans <- line
	}()
	select {
	case line := <-ans:
		line = strings.TrimSpace(line)
		return strings.HasPrefix(line, "y") || strings.HasPrefix(line, "Y")
	case <-time.After(wait):
		return false
	}
}
