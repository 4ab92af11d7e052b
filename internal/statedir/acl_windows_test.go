//go:build windows

package statedir

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unsafe"

	"golang.org/x/sys/windows"
)

// setDACL replaces path's access list by one that grants rights to sid only
// (or by none at all when sid is nil: a NULL DACL lets everyone in).
func setDACL(t *testing.T, path string, sid *windows.SID, rights windows.ACCESS_MASK) {
	t.Helper()
	var acl *windows.ACL
	if sid != nil {
		var err error
		acl, err = windows.ACLFromEntries([]windows.EXPLICIT_ACCESS{{
			AccessPermissions: rights,
			AccessMode:        windows.GRANT_ACCESS,
			Inheritance:       windows.NO_INHERITANCE,
			Trustee: windows.TRUSTEE{TrusteeForm: windows.TRUSTEE_IS_SID, TrusteeType: windows.TRUSTEE_IS_WELL_KNOWN_GROUP,
				TrusteeValue: windows.TrusteeValueFromSID(sid)},
		}}, nil)
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := windows.SetNamedSecurityInfo(path, windows.SE_FILE_OBJECT,
		windows.DACL_SECURITY_INFORMATION, nil, nil, acl, nil); err != nil {
		t.Fatalf("set the access list of %s: %v", path, err)
	}
}

func wellKnown(t *testing.T, k windows.WELL_KNOWN_SID_TYPE) *windows.SID {
	t.Helper()
	sid, err := windows.CreateWellKnownSid(k)
	if err != nil {
		t.Fatal(err)
	}
	return sid
}

// Windows has no mode bits: a state dir that everyone, or every user of the
// machine, may write into is found in its access list and not used, as a
// group- or world-writable one is on Unix. One the user made is used.
func TestStateDirWritableByOthersIsUnsafeOnWindows(t *testing.T) {
	own := filepath.Join(t.TempDir(), "acme", "telemetry")
	if err := New(own).Create(); err != nil {
		t.Fatalf("Create of a new state dir: %v", err)
	}
	if err := New(own).Check(); err != nil {
		t.Fatalf("Check of the user's own state dir: %v", err)
	}
	for _, tc := range []struct {
		name   string
		sid    windows.WELL_KNOWN_SID_TYPE
		rights windows.ACCESS_MASK
	}{
		{"everyone may write", windows.WinWorldSid, windows.GENERIC_ALL},
		{"users may add files", windows.WinBuiltinUsersSid, windows.GENERIC_WRITE},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "telemetry")
			if err := os.Mkdir(dir, 0o700); err != nil {
				t.Fatal(err)
			}
			sid := wellKnown(t, tc.sid)
			setDACL(t, dir, sid, tc.rights)
			if !grants(t, dir, sid) {
				t.Skipf("the access list of %s kept no entry for %s: Wine keeps only what Unix mode bits say (owner and everyone)", dir, sid)
			}
			err := New(dir).Check()
			if !errors.Is(err, ErrUnsafe) || !strings.Contains(err.Error(), "writable by") {
				t.Fatalf("Check = %v, want ErrUnsafe saying who may write", err)
			}
			if err := New(dir).Create(); !errors.Is(err, ErrUnsafe) {
				t.Fatalf("Create = %v, want ErrUnsafe", err)
			}
		})
	}
	// Reading is not writing: everyone may list the folder.
	dir := filepath.Join(t.TempDir(), "telemetry")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	setDACL(t, dir, wellKnown(t, windows.WinWorldSid), windows.GENERIC_READ)
	if err := New(dir).Check(); err != nil && strings.Contains(err.Error(), "writable") {
		t.Fatalf("Check of a folder everyone may read = %v", err)
	}
}

// A state dir owned by another user is not used. Windows lets a process
// give a folder away only with the restore privilege, and Wine keeps the
// Unix owner whatever it is told: there the test cannot plant one.
func TestStateDirOfAnotherOwnerIsUnsafeOnWindows(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "telemetry")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	other := wellKnown(t, windows.WinBuiltinUsersSid)
	err := windows.SetNamedSecurityInfo(dir, windows.SE_FILE_OBJECT, windows.OWNER_SECURITY_INFORMATION, other, nil, nil, nil)
	sd, gerr := windows.GetNamedSecurityInfo(dir, windows.SE_FILE_OBJECT, windows.OWNER_SECURITY_INFORMATION)
	if gerr != nil {
		t.Fatal(gerr)
	}
	if owner, _, oerr := sd.Owner(); err != nil || oerr != nil || !windows.EqualSid(owner, other) {
		t.Skipf("cannot give a folder to another owner here (%v; owner %v): it takes the restore privilege, and Wine keeps the Unix owner", err, owner)
	}
	if err := New(dir).Check(); !errors.Is(err, ErrUnsafe) || !strings.Contains(err.Error(), "another user") {
		t.Fatalf("Check = %v, want ErrUnsafe naming another user", err)
	}
}

// grants reports whether path's access list has an allowing entry for sid.
func grants(t *testing.T, path string, sid *windows.SID) bool {
	t.Helper()
	sd, err := windows.GetNamedSecurityInfo(path, windows.SE_FILE_OBJECT, windows.DACL_SECURITY_INFORMATION)
	if err != nil {
		t.Fatal(err)
	}
	acl, _, err := sd.DACL()
	if err != nil || acl == nil {
		return acl == nil
	}
	for i := range uint32(acl.AceCount) {
		var ace *windows.ACCESS_ALLOWED_ACE
		if windows.GetAce(acl, i, &ace) == nil && ace.Header.AceType == windows.ACCESS_ALLOWED_ACE_TYPE &&
			windows.EqualSid((*windows.SID)(unsafe.Pointer(&ace.SidStart)), sid) {
			return true
		}
	}
	return false
}
