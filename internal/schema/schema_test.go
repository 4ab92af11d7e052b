package schema

import "testing"

// The schema has not changed since Waymark 0.1.0, so a notice marker 0.1.0
// wrote still counts; a vendor's own version always makes a new one.
func TestNoticeVersion(t *testing.T) {
	if got := NoticeVersion(""); got != "legacy" {
		t.Errorf(`NoticeVersion("") = %q, want "legacy" (schema digest %s, 0.1.0's %s)`, got, schemaDigest(), schema010)
	}
	if got, want := NoticeVersion("2"), schema010+"/2"; got != want {
		t.Errorf(`NoticeVersion("2") = %q, want %q`, got, want)
	}
}
