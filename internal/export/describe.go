package export

import (
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdklog "go.opentelemetry.io/otel/sdk/log"
)

// EventView is the readable form of one event, used by debug mode and the local
// log.
type EventView struct {
	Time       string            `json:"time"`
	Event      string            `json:"event"`
	Attributes map[string]any    `json:"attributes"`
	Resource   map[string]string `json:"resource,omitempty"`
}

// Describe renders a record (and, when res is given, the resource it would be
// sent with) in readable form.
func Describe(r *sdklog.Record, res []attribute.KeyValue) EventView {
	v := EventView{
		Time:       r.Timestamp().UTC().Format(time.RFC3339Nano),
		Event:      r.EventName(),
		Attributes: map[string]any{},
	}
	r.WalkAttributes(func(kv attribute.KeyValue) bool {
		v.Attributes[string(kv.Key)] = kv.Value.AsInterface()
		return true
	})
	if len(res) > 0 {
		v.Resource = make(map[string]string, len(res))
		for _, kv := range res {
			v.Resource[string(kv.Key)] = kv.Value.String()
		}
	}
	return v
}
