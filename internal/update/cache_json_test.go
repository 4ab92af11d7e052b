package update

import (
	"testing"

	"github.com/waymarkhq/waymark/internal/jsonx/jsonxtest"
)

// update.json is read with jsonx.Unmarshal: every field encoding/json
// writes must come back.
func TestCacheFileReadsBackEveryField(t *testing.T) {
	jsonxtest.RoundTrip[cacheJSON](t)
}
