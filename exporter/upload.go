package exporter

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/waymarkhq/waymark/internal/fsx"
)

const defaultMaxBody = 192 << 10

// Uploader moves the spool's entries to the endpoint. At most one Uploader
// runs per state dir at a time, across processes. It never panics and never
// prints; what happened is in its Result and in upload.json.
type Uploader struct {
	// StateDir holds upload.lock and upload.json. It must exist.
	StateDir string
	// Spool is the queue to drain.
	Spool *Spool
	// Sender delivers the batches.
	Sender *Sender
	// Now, if set, is the clock used for the backoff. Default time.Now.
	Now func() time.Time
	// Rand, if set, returns jitter values in [0, 1]. Default math/rand.
	Rand func() float64
	// MaxBody, if positive, caps the raw (uncompressed) bytes sent in one
	// request; an entry larger than that is sent alone. Default 192 KiB.
	MaxBody int
	// RespectBackoff, if set, makes Run do nothing while the backoff of an
	// earlier failure lasts, judged under the upload lock: uploaders started
	// together by several runs then count one outage as one failure, not one
	// each. A server's final flush leaves it unset, to try once more.
	RespectBackoff bool
}

// Result says what one Run did.
type Result struct {
	// Busy is set when another uploader held the state dir's upload lock;
	// Run then did nothing.
	Busy bool
	// Requests counts the requests sent.
	Requests int
	// Delivered counts entries the endpoint accepted.
	Delivered int
	// Dropped counts entries the endpoint rejected for good, now removed.
	Dropped int
	// Retry is set when a retryable failure ended the run; upload.json holds
	// the backoff.
	Retry bool
	// Deferred is set when RespectBackoff found the backoff still running;
	// Run then did nothing.
	Deferred bool
}

// Busy reports whether an uploader holds stateDir's upload lock right now. A
// CLI checks it before starting another uploader that would only find the
// lock taken and exit: while a black-holed endpoint keeps one uploader busy
// for seconds, every run would otherwise pay for a process start.
func Busy(stateDir string) bool {
	l, err := fsx.TryLock(filepath.Join(stateDir, uploadLock))
	if err != nil {
		return errors.Is(err, fsx.ErrLocked)
	}
	l.Unlock()
	return false
}

// Run drains the spool, logs first and then metrics, one batch per request,
// oldest entries first. A batch that is accepted is removed and counted as
// delivered; one that is rejected as malformed is removed and counted as
// dropped; any other failure keeps every entry, records the next attempt
// after a jittered backoff, and ends the run. Run does not consult the
// backoff itself: callers check Due first. It returns at once with
// Result.Busy when another uploader holds the lock, and stops when ctx is
// done. The error reports why a run ended early: a retryable delivery failure
// (wrapping ErrRetry), ctx's error, or a local file problem.
func (u *Uploader) Run(ctx context.Context) (res Result, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("exporter: upload: internal error: %v", r)
		}
	}()
	if u.Spool == nil || u.Sender == nil || u.StateDir == "" {
		return res, errors.New("exporter: upload: StateDir, Spool and Sender are required")
	}
	now := u.Now
	if now == nil {
		now = time.Now
	}
	maxBody := u.MaxBody
	if maxBody <= 0 {
		maxBody = defaultMaxBody
	}
	lock, err := fsx.TryLock(filepath.Join(u.StateDir, uploadLock))
	if errors.Is(err, fsx.ErrLocked) {
		res.Busy = true
		return res, nil
	}
	if err != nil {
		return res, fmt.Errorf("exporter: upload: %w", err)
	}
	defer lock.Unlock()

	st := ReadDeliveryState(u.StateDir)
	if u.RespectBackoff && !due(st, now()) {
		res.Deferred = true
		return res, nil
	}
	// Entries sent in this run; meeting one again means it could not be
	// removed, and sending it once more would loop.
	sent := map[string]bool{}
	for _, sig := range [...]Signal{Logs, Metrics} {
		for {
			if err := ctx.Err(); err != nil {
				return res, err
			}
			batch, err := u.Spool.batch(sig, maxBody)
			if err != nil {
				return res, err
			}
			if len(batch) == 0 {
				break
			}
			if sent[batch[0].name] {
				return res, fmt.Errorf("exporter: upload: delivered entry %s is still in the spool", batch[0].name)
			}
			for _, e := range batch {
				sent[e.name] = true
			}
			body := make([]byte, 0, maxBody)
			for _, e := range batch {
				body = append(body, e.payload...)
			}
			res.Requests++
			sendErr := u.Sender.Send(ctx, sig, body)
			switch {
			case sendErr == nil:
				st.Failures, st.NextAttempt, st.LastError = 0, time.Time{}, ""
				st.LastSuccess = now()
				st.Delivered += int64(len(batch))
				res.Delivered += len(batch)
			case errors.Is(sendErr, ErrRejected):
				// The endpoint answered, so it is up: no backoff.
				st.Failures, st.NextAttempt = 0, time.Time{}
				st.LastError = sendErr.Error()
				st.Dropped += int64(len(batch))
				res.Dropped += len(batch)
			default:
				if ctx.Err() != nil {
					// Cut short by our caller, not the endpoint's fault.
					return res, ctx.Err()
				}
				st.Failures++
				st.NextAttempt = now().Add(NextBackoff(st.Failures, u.Rand))
				st.LastError = sendErr.Error()
				res.Retry = true
				if err := writeDeliveryState(u.StateDir, st); err != nil {
					return res, errors.Join(sendErr, err)
				}
				return res, sendErr
			}
			// Remove before saving the counters: a crash in between can
			// lose a count, never an entry.
			rmErr := u.Spool.remove(batch)
			if err := writeDeliveryState(u.StateDir, st); err != nil {
				return res, err
			}
			if rmErr != nil {
				// Stop rather than send the same entries again and again.
				return res, rmErr
			}
		}
	}
	return res, nil
}
