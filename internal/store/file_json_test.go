package store

import (
	"testing"

	"github.com/waymarkhq/waymark/internal/jsonx/jsonxtest"
)

// milestones.json is read with jsonx.Unmarshal: every field must come back.
func TestMilestonesFileReadsBackEveryField(t *testing.T) {
	jsonxtest.RoundTrip[fileRecord](t)
}
