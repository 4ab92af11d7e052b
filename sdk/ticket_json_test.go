package sdk

import (
	"testing"

	"github.com/waymarkhq/waymark/internal/jsonx/jsonxtest"
)

// The uploader's ticket is written by hand and read with jsonx.Unmarshal:
// every field must come back.
func TestUploaderTicketReadsBackEveryField(t *testing.T) {
	jsonxtest.RoundTrip[childTicket](t)
}
