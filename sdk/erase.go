package sdk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/waymarkhq/waymark/gate"
	"github.com/waymarkhq/waymark/internal/export"
	"github.com/waymarkhq/waymark/internal/jsonx"
	"github.com/waymarkhq/waymark/internal/statedir"
	"github.com/waymarkhq/waymark/internal/store"
	"github.com/waymarkhq/waymark/internal/uuidx"
)

// erasureRequest is what `telemetry disable --erase` leaves in the state dir
// when the request could not be delivered at once: the installation id to
// erase, and nothing else of the forgotten install.
type erasureRequest struct {
	InstallationID string    `json:"installation_id"`
	EventID        string    `json:"event_id"`
	RequestedAt    time.Time `json:"requested_at"`
}

// maxErasureFile bounds the erasure request read from disk.
const maxErasureFile = 4 << 10

// eraseSendTimeout bounds how long `telemetry disable --erase` waits for the
// collector: the user asked and is waiting for the answer.
const eraseSendTimeout = 5 * time.Second

// readErasure returns the pending erasure request, if any. A damaged file
// is no request (it is the disk's word, not ours).
func readErasure(d *statedir.Dir) (erasureRequest, bool) {
	var r erasureRequest
	b, err := d.ReadFile(statedir.Erasure, maxErasureFile)
	if err != nil || jsonx.Unmarshal(b, &r) != nil {
		return r, false
	}
	if _, ok := uuidx.Parse([]byte(r.InstallationID)); !ok {
		return r, false
	}
	if _, ok := uuidx.Parse([]byte(r.EventID)); !ok {
		return r, false
	}
	return r, true
}

// reachedCollector reports whether this install's id may have reached the
// collector: the ledger of accepted events holds one, the delivery counters
// say some were delivered (the ledger is bounded), or an uploader is sending
// right now (a batch it has on the wire may be accepted after the machine is
// forgotten, and is then written nowhere).
func (c *Client) reachedCollector() bool {
	if evs, err := export.ReadLedger(c.dir); err == nil && len(evs) > 0 {
		return true
	}
	return export.ReadDeliveryState(c.dir).Delivered > 0 || export.Busy(c.dir)
}

// requestErasure writes the erasure request for this install before the
// machine is forgotten, so that it survives a failed send. It reports false
// when there is nothing to erase: no id, or an id that never reached the
// collector.
func (c *Client) requestErasure() (erasureRequest, bool, error) {
	id, ok := store.New(c.dir, c.h.now).PeekDeviceID()
	if !ok || !c.reachedCollector() {
		return erasureRequest{}, false, nil
	}
	eid, err := uuidx.NewV4()
	if err != nil {
		return erasureRequest{}, false, err
	}
	r := erasureRequest{InstallationID: id, EventID: eid, RequestedAt: c.h.now().UTC()}
	b, _ := json.Marshal(r)
	return r, true, c.dir.WriteFile(statedir.Erasure, b)
}

// sendPendingErasure delivers the pending erasure request, if any, and
// forgets it once the collector accepted it (or refused it for good: it can
// never succeed). It reports whether a request was delivered.
func (c *Client) sendPendingErasure(ctx context.Context, timeout time.Duration) (bool, error) {
	r, ok := readErasure(c.dir)
	if !ok {
		if c.dir.Has(statedir.Erasure) {
			c.dir.Remove(statedir.Erasure) // damaged: nothing can be sent from it
		}
		return false, nil
	}
	sender, err := export.NewSender(c.endpoint, c.cfg.AllowInsecure, timeout)
	if err != nil {
		return false, err
	}
	defer sender.Close()
	payload := export.ErasurePayload(resourceAttrs(c.cfg, r.InstallationID, ""), Version, r.EventID, r.RequestedAt)
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	err = sender.Send(ctx, export.Logs, payload)
	if err != nil && !errors.Is(err, export.ErrRejected) {
		return false, err
	}
	if rmErr := c.dir.Remove(statedir.Erasure); rmErr != nil {
		return false, rmErr
	}
	return err == nil, err
}

// cmdErase is `telemetry disable --erase`: the erasure request is written,
// the machine forgotten, then the request sent; offline, it alone stays
// pending until a later run delivers it.
func (c *Client) cmdErase(stdout, stderr io.Writer) int {
	product := c.cfg.Product
	id, hadID := store.New(c.dir, c.h.now).PeekDeviceID()
	// A request of an earlier install still pending goes first: the file
	// holds one request, and this install's would take its place.
	if prev, pending := readErasure(c.dir); pending && hadID && prev.InstallationID != id && c.reachedCollector() &&
		!(c.decision.Policy() && c.decision.Mode == gate.Off) {
		if delivered, _ := c.sendPendingErasure(context.Background(), eraseSendTimeout); !delivered {
			if _, still := readErasure(c.dir); still {
				fmt.Fprintf(stdout, "An earlier erasure request, for installation %s, could not be delivered; give that id to %s "+
					"to have its data erased.\n", prev.InstallationID, product)
			}
		}
	}
	r, asked, err := c.requestErasure()
	if err != nil {
		// The user's opt-out holds even so: disable, and give them the id.
		fmt.Fprintf(stderr, "%s telemetry disable --erase: could not record the erasure request: %s\n", product, oneLine(err.Error()))
		if code := c.cmdSetMode("disable", stdout, stderr); code != 0 {
			return code
		}
		if asked {
			fmt.Fprintf(stderr, "No erasure request was sent; give installation id %s to %s to have its data erased.\n", r.InstallationID, product)
		}
		return 1
	}
	if code := c.cmdSetMode("disable", stdout, stderr); code != 0 {
		return code
	}
	if !asked {
		if _, pending := readErasure(c.dir); pending {
			return c.retryErasure(stdout)
		}
		if !hadID {
			fmt.Fprintf(stdout, "No erasure request was needed: this machine has no installation id (it was forgotten before).\n")
			return 0
		}
		fmt.Fprintf(stdout, "No erasure request was needed: this installation's id never reached %s's collector.\n", product)
		return 0
	}
	fmt.Fprintf(stdout, "Asked %s to erase everything it collected from installation %s.\n", product, r.InstallationID)
	return c.retryErasure(stdout)
}

// retryErasure sends the pending request and says what became of it.
func (c *Client) retryErasure(stdout io.Writer) int {
	r, _ := readErasure(c.dir)
	if c.decision.Policy() && c.decision.Mode == gate.Off {
		fmt.Fprintf(stdout, "The machine policy keeps anything from being sent, so the erasure request for installation %s "+
			"stays on this machine; give that id to %s to have its data erased.\n", r.InstallationID, c.cfg.Product)
		return 0
	}
	if delivered, err := c.sendPendingErasure(context.Background(), eraseSendTimeout); delivered {
		fmt.Fprintf(stdout, "The erasure request was delivered; nothing else will be sent from this machine.\n")
	} else if err != nil && errors.Is(err, export.ErrRejected) {
		fmt.Fprintf(stdout, "The collector refused the erasure request (%s); give installation id %s to %s to have its data erased.\n",
			oneLine(err.Error()), r.InstallationID, c.cfg.Product)
	} else {
		fmt.Fprintf(stdout, "The erasure request could not be delivered now; it stays pending, alone, and a later run of %s "+
			"sends it (the one thing sent while telemetry is off), then forgets it.\n", c.cfg.Product)
	}
	return 0
}

// ErasureView is an erasure request that waits to be delivered, in status.
type ErasureView struct {
	InstallationID string `json:"installation_id"`
	RequestedAt    string `json:"requested_at"`
}

// SampleView is a sampled product's sample in status.
type SampleView struct {
	Rate     float64 `json:"rate"`
	InSample bool    `json:"in_sample"`
}
