package export

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/waymarkhq/waymark/internal/statedir"
)

const defaultMaxBody = 192 << 10

// ErrWithdrawn ends an upload whose consent was withdrawn while a request was
// in flight: nothing more is written.
var ErrWithdrawn = errors.New("export: telemetry was turned off during the upload")

// Uploader moves the spool's entries to the endpoint. At most one Uploader
// runs per state dir at a time, across processes. It never panics and never
// prints; what happened is in its Result and in upload.json.
type Uploader struct {
	// StateDir holds upload.lock and upload.json. It must exist.
	StateDir *statedir.Dir
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
	// each. A server's final flush leaves it unset, to try once more. Unset
	// or not, Run sends nothing before the time the endpoint asked for with
	// Retry-After.
	RespectBackoff bool
	// Hold, if set, is asked before every request and again after it,
	// before anything is written: ok false (the user turned telemetry off,
	// or forgot the machine) ends the run sending and writing nothing more,
	// with ErrWithdrawn. After a request, release is called once the
	// request's outcome is written, so a caller that holds a lock in Hold
	// keeps `telemetry disable` from slipping in between.
	Hold func() (release func(), ok bool)
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
	// Deferred is set when RespectBackoff found the backoff still running,
	// or the wait the endpoint asked for with Retry-After has not passed;
	// Run then did nothing.
	Deferred bool
}

// Busy reports whether an uploader holds stateDir's upload lock right now. A
// CLI checks it before starting another uploader that would only find the
// lock taken and exit: while a black-holed endpoint keeps one uploader busy
// for seconds, every run would otherwise pay for a process start.
// Without an upload.lock file no uploader ever ran here, and none is
// created just to find that out.
func Busy(d *statedir.Dir) bool {
	return d.Has(statedir.UploadLock) && d.Locked(statedir.UploadLock)
}

// Run drains the spool, logs first and then metrics, one batch per request,
// oldest entries first. A batch that is accepted is removed and counted as
// delivered; one that is rejected as malformed is removed and counted as
// dropped; any other failure keeps every entry, records the next attempt
// after a jittered backoff (at least the endpoint's Retry-After), and ends
// the run. Run consults the backoff only with RespectBackoff; it always
// waits for a Retry-After (see Result.Deferred). It returns at once with
// Result.Busy when another uploader holds the lock, and stops when ctx is
// done. The error reports why a run ended early: a retryable delivery failure
// (wrapping ErrRetry), ctx's error, or a local file problem.
func (u *Uploader) Run(ctx context.Context) (res Result, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("export: upload: internal error: %v", r)
		}
	}()
	if u.Spool == nil || u.Sender == nil || u.StateDir == nil {
		return res, errors.New("export: upload: StateDir, Spool and Sender are required")
	}
	now := u.Now
	if now == nil {
		now = time.Now
	}
	maxBody := u.MaxBody
	if maxBody <= 0 {
		maxBody = defaultMaxBody
	}
	lock, err := u.StateDir.TryLock(statedir.UploadLock)
	if errors.Is(err, statedir.ErrLocked) {
		res.Busy = true
		return res, nil
	}
	if err != nil {
		return res, fmt.Errorf("export: upload: %w", err)
	}
	defer lock.Unlock()

	st := ReadDeliveryState(u.StateDir)
	if u.RespectBackoff && !due(st, now()) || !allowedByEndpoint(st, now()) {
		res.Deferred = true
		return res, nil
	}
	// The host only appends; age and cap are enforced here, off its path.
	if err := u.Spool.Maintain(); err != nil {
		return res, err
	}
	// Entries sent in this run; meeting one again means it could not be
	// removed, and sending it once more would loop.
	r := &uploadRun{u: u, ctx: ctx, now: now, maxBody: maxBody, st: st, sent: map[string]bool{}}
	for _, sig := range [...]Signal{Logs, Metrics} {
		if err := r.drain(sig); err != nil {
			return r.res, err
		}
	}
	return r.res, nil
}

// uploadRun is one Run's progress: the delivery state it keeps up to date
// and what it has sent.
type uploadRun struct {
	u       *Uploader
	ctx     context.Context
	now     func() time.Time
	maxBody int
	st      DeliveryState
	res     Result
	sent    map[string]bool
}

// drain sends sig's entries batch by batch until none is left or a
// delivery fails.
func (r *uploadRun) drain(sig Signal) error {
	for {
		if err := r.ctx.Err(); err != nil {
			return err
		}
		batch, err := r.u.Spool.batch(sig, r.maxBody)
		if err != nil {
			return err
		}
		if len(batch) == 0 {
			return nil
		}
		if r.sent[batch[0].name] {
			return fmt.Errorf("export: upload: delivered entry %s is still in the spool", batch[0].name)
		}
		for _, e := range batch {
			r.sent[e.name] = true
		}
		if err := r.send(sig, batch); err != nil {
			return err
		}
	}
}

// send delivers one batch and records the outcome: accepted entries are
// removed and counted, rejected ones removed and counted as dropped, and any
// other failure keeps them and sets the backoff.
func (r *uploadRun) send(sig Signal, batch []spoolEntry) error {
	body := make([]byte, 0, r.maxBody)
	for _, e := range batch {
		body = append(body, e.payload...)
	}
	if r.u.Hold != nil {
		release, ok := r.u.Hold()
		if !ok {
			return ErrWithdrawn
		}
		release()
	}
	r.res.Requests++
	st := &r.st
	sendErr := r.u.Sender.Send(r.ctx, sig, body)
	if r.u.Hold != nil {
		release, ok := r.u.Hold()
		if !ok {
			if sendErr == nil {
				// Delivered before consent was found withdrawn: nothing is
				// written down, but the entries leave the spool, or a
				// later enable would send them a second time.
				r.u.Spool.remove(batch)
			}
			return ErrWithdrawn
		}
		defer release()
	}
	switch {
	case sendErr == nil:
		st.Failures, st.FailingSince, st.NextAttempt, st.NotBefore, st.LastError = 0, time.Time{}, time.Time{}, time.Time{}, ""
		st.LastSuccess = r.now()
		st.Delivered += int64(len(batch))
		r.res.Delivered += len(batch)
		// Note what the collector accepted in the local ledger, for
		// `telemetry show`. Its failure never fails the delivery.
		if sig == Logs {
			recordSent(r.u.StateDir, batch, r.now())
		}
	case errors.Is(sendErr, ErrRejected):
		// The endpoint answered, so it is up: no backoff.
		st.Failures, st.FailingSince, st.NextAttempt, st.NotBefore = 0, time.Time{}, time.Time{}, time.Time{}
		st.LastError = sendErr.Error()
		st.Dropped += int64(len(batch))
		r.res.Dropped += len(batch)
	default:
		if r.ctx.Err() != nil && RetryAfter(sendErr) == 0 {
			// Cut short by our caller, not the endpoint's fault. An answer
			// that asked for a wait did arrive, though (only its body was
			// cut short): that wait is kept like any other.
			return r.ctx.Err()
		}
		st.Failures++
		now := r.now()
		if st.Failures == 1 || st.FailingSince.IsZero() {
			st.FailingSince = now
		}
		wait := RetryAfter(sendErr)
		st.NextAttempt = NextAttempt(st.Failures, st.FailingSince, now, wait, draw(r.u.Rand))
		st.NotBefore = time.Time{}
		if wait > 0 {
			st.NotBefore = now.Add(min(wait, maxRetryAfter))
		}
		st.LastError = sendErr.Error()
		r.res.Retry = true
		if err := writeDeliveryState(r.u.StateDir, *st); err != nil {
			return errors.Join(sendErr, err)
		}
		return sendErr
	}
	// Remove before saving the counters: a crash in between can lose a
	// count, never an entry.
	rmErr := r.u.Spool.remove(batch)
	if err := writeDeliveryState(r.u.StateDir, *st); err != nil {
		return err
	}
	// Stop rather than send the same entries again and again.
	return rmErr
}
