// Package ptytest runs a command on a real pseudo-terminal for tests that
// must prove terminal-only behaviour (the first-run notice, prompts, update
// notices). It is Linux-only; Open returns ErrUnsupported elsewhere so tests
// can skip.
package ptytest

import (
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"
)

// ErrUnsupported means this platform has no pseudo-terminal support here.
var ErrUnsupported = errors.New("ptytest: pseudo-terminals are not supported on this platform")

// Term is a running command whose standard streams are a pseudo-terminal.
type Term struct {
	Cmd    *exec.Cmd
	master *os.File
	mu     sync.Mutex
	out    bytes.Buffer
	done   chan struct{}
}

// Start runs cmd with stdin, stdout and stderr on a new pseudo-terminal, as
// the session leader with that terminal as its controlling terminal.
func Start(cmd *exec.Cmd) (*Term, error) {
	master, slave, err := open()
	if err != nil {
		return nil, err
	}
	defer slave.Close()
	cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, slave, slave
	setCtty(cmd)
	if err := cmd.Start(); err != nil {
		master.Close()
		return nil, err
	}
	t := &Term{Cmd: cmd, master: master, done: make(chan struct{})}
	go func() {
		defer close(t.done)
		buf := make([]byte, 4096)
		for {
			n, err := master.Read(buf)
			t.mu.Lock()
			t.out.Write(buf[:n])
			t.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	return t, nil
}

// Output returns everything the command wrote so far.
func (t *Term) Output() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.out.String()
}

// WaitFor waits until the output contains s or timeout passes.
func (t *Term) WaitFor(s string, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if strings.Contains(t.Output(), s) {
			return true
		}
		time.Sleep(10 * time.Millisecond)
	}
	return strings.Contains(t.Output(), s)
}

// Type writes s to the terminal, as a user typing.
func (t *Term) Type(s string) error {
	_, err := io.WriteString(t.master, s)
	return err
}

// Wait waits for the command to exit and for its output to drain, and
// returns the command's error.
func (t *Term) Wait() error {
	err := t.Cmd.Wait()
	select {
	case <-t.done:
	case <-time.After(2 * time.Second):
	}
	t.master.Close()
	return err
}
