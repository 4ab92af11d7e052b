package export

import (
	"testing"

	"github.com/waymarkhq/waymark/internal/jsonx/jsonxtest"
)

// upload.json and sent.jsonl are read with jsonx.Unmarshal: every field
// encoding/json writes must come back.
func TestDeliveryStateAndLedgerReadBackEveryField(t *testing.T) {
	jsonxtest.RoundTrip[DeliveryState](t)
	jsonxtest.RoundTrip[LedgerEvent](t)
}
