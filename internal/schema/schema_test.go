package schema

import "testing"

// The schema changed since Waymark 0.1.0 (agent.name, waymark.sample_rate and the erasure
// request), so a notice marker 0.1.0 wrote no longer counts: every user is told once what is
// new. A vendor's own version is part of the marker.
func TestNoticeVersion(t *testing.T) {
	if got := NoticeVersion(""); got == "legacy" || got != schemaDigest()+"/" {
		t.Errorf(`NoticeVersion("") = %q, want the new digest %s (0.1.0's was %s)`, got, schemaDigest(), schema010)
	}
	if got, want := NoticeVersion("2"), schemaDigest()+"/2"; got != want {
		t.Errorf(`NoticeVersion("2") = %q, want %q`, got, want)
	}
}
