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
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "telemetry")
			if err := os.Mkdir(dir, 0o700); err != nil {
				t.Fatal(err)
			}
			sid := wellKnown(t, tc.sid)
			setDACL(t, dir, sid, tc.rights)
			if !grants(t, dir, sid) {
				t.Fatalf("the access list of %s kept no entry for %s", dir, sid)
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

// The state dir's security descriptor is judged whatever the file system
// can hold: descriptors built from SDDL (the form Windows prints them in)
// stand for folders this process cannot make, such as one owned by another
// user (giving a folder away takes the restore privilege) or one that all
// Users may write into (Wine keeps only what Unix mode bits say).
func TestStateDirSecurityDescriptors(t *testing.T) {
	u, err := windows.GetCurrentProcessToken().GetTokenUser()
	if err != nil {
		t.Fatal(err)
	}
	me := u.User.Sid.String()
	const other = "S-1-5-21-1004336348-1177238915-682003330-4242"
	for _, tc := range []struct {
		name, sddl, want string // want: "" for a safe dir, else words of the error
	}{
		{"mine, private", "O:" + me + "D:P(A;;FA;;;" + me + ")", ""},
		{"mine, everyone may read", "O:" + me + "D:P(A;;FA;;;" + me + ")(A;;FR;;;WD)", ""},
		{"owned by another user", "O:" + other + "D:P(A;;FA;;;" + other + ")", "another user"},
		{"users may add files", "O:" + me + "D:P(A;;FA;;;" + me + ")(A;;0x2;;;BU)", "writable by"},
		{"authenticated users may write", "O:" + me + "D:P(A;;FA;;;" + me + ")(A;;GW;;;AU)", "writable by"},
		{"guests may delete children", "O:" + me + "D:P(A;;FA;;;" + me + ")(A;;0x40;;;BG)", "writable by"},
		{"anonymous may take ownership", "O:" + me + "D:P(A;;FA;;;" + me + ")(A;;WO;;;AN)", "writable by"},
		{"everyone write, inherit only", "O:" + me + "D:P(A;;FA;;;" + me + ")(A;OIIO;FA;;;WD)", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sd, err := windows.SecurityDescriptorFromString(tc.sddl)
			if err != nil {
				t.Fatalf("SDDL %s: %v", tc.sddl, err)
			}
			err = checkSecurity(`C:\state`, sd)
			if tc.want == "" && err != nil {
				t.Fatalf("checkSecurity = %v, want a usable dir", err)
			}
			if tc.want != "" && (!errors.Is(err, ErrUnsafe) || !strings.Contains(err.Error(), tc.want)) {
				t.Fatalf("checkSecurity = %v, want ErrUnsafe saying %q", err, tc.want)
			}
		})
	}
	// A NULL access list, and none at all, let everyone in.
	for _, present := range []bool{true, false} {
		sd, err := windows.NewSecurityDescriptor()
		if err == nil {
			err = sd.SetOwner(u.User.Sid, false)
		}
		if err == nil {
			err = sd.SetDACL(nil, present, false)
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := checkSecurity(`C:\state`, sd); !errors.Is(err, ErrUnsafe) || !strings.Contains(err.Error(), "no access list") {
			t.Errorf("a descriptor with a NULL access list (present %v): checkSecurity = %v, want ErrUnsafe", present, err)
		}
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
