//go:build windows

package statedir

import (
	"fmt"
	"unsafe"

	"golang.org/x/sys/windows"
)

// checkChain is Windows' counterpart of the Unix owner and mode checks,
// applied to the state dir itself (the path to it is the user's profile,
// guarded by its own ACLs): the dir must belong to this user (or to the
// owner this user's token gives new objects: Administrators, for an
// elevated run), and its ACL must not let everyone, all users, guests or
// anonymous logons write into it. A missing or unreadable dir passes:
// Create finds out.
func checkChain(path string) error {
	sd, err := windows.GetNamedSecurityInfo(path, windows.SE_FILE_OBJECT,
		windows.OWNER_SECURITY_INFORMATION|windows.DACL_SECURITY_INFORMATION)
	if err != nil {
		return nil
	}
	return checkSecurity(path, sd)
}

// checkSecurity is checkChain's judgement of the state dir's security
// descriptor sd: owned by this user, and writable by no broad group.
func checkSecurity(path string, sd *windows.SECURITY_DESCRIPTOR) error {
	owner, _, err := sd.Owner()
	if err == nil && owner != nil && !isMe(owner) {
		return fmt.Errorf("%w: state dir %s is owned by another user (%s)", ErrUnsafe, path, owner)
	}
	dacl, _, err := sd.DACL()
	if err != nil && err != windows.ERROR_OBJECT_NOT_FOUND {
		return nil
	}
	// No access list at all, or a NULL one, lets everyone in.
	if dacl == nil {
		return fmt.Errorf("%w: state dir %s has no access list: everyone may write into it", ErrUnsafe, path)
	}
	if who := othersWhoMayWrite(dacl); who != "" {
		return fmt.Errorf("%w: state dir %s is writable by %s", ErrUnsafe, path, who)
	}
	return nil
}

// isMe reports whether sid is this process's user or its token's default
// owner of new objects.
func isMe(sid *windows.SID) bool {
	tok := windows.GetCurrentProcessToken()
	if u, err := tok.GetTokenUser(); err == nil && windows.EqualSid(u.User.Sid, sid) {
		return true
	}
	var buf [32]uint64 // TOKEN_OWNER: a pointer to a SID held in the same buffer
	var n uint32
	if windows.GetTokenInformation(tok, windows.TokenOwner, (*byte)(unsafe.Pointer(&buf[0])), uint32(unsafe.Sizeof(buf)), &n) == nil {
		o := (*struct{ Owner *windows.SID })(unsafe.Pointer(&buf[0]))
		return windows.EqualSid(o.Owner, sid)
	}
	return false
}

// broadGroups are the groups any other user of the machine belongs to.
var broadGroups = []windows.WELL_KNOWN_SID_TYPE{
	windows.WinWorldSid,             // Everyone
	windows.WinAuthenticatedUserSid, // Authenticated Users
	windows.WinBuiltinUsersSid,      // Users
	windows.WinBuiltinGuestsSid,     // Guests
	windows.WinAnonymousSid,         // Anonymous Logon
	windows.WinInteractiveSid,       // Interactive
}

// writeRights are the rights that let a holder add, change or remove what
// is in a folder, or take it over: FILE_ADD_FILE (0x2), FILE_ADD_SUBDIRECTORY
// (0x4), FILE_DELETE_CHILD (0x40), DELETE, WRITE_DAC, WRITE_OWNER,
// GENERIC_WRITE and GENERIC_ALL.
const writeRights = 0x2 | 0x4 | 0x40 | windows.DELETE | windows.WRITE_DAC | windows.WRITE_OWNER |
	windows.GENERIC_WRITE | windows.GENERIC_ALL

// othersWhoMayWrite names the first broad group that an allowing entry of
// acl lets write into the folder, or returns "".
func othersWhoMayWrite(acl *windows.ACL) string {
	for i := range uint32(acl.AceCount) {
		var ace *windows.ACCESS_ALLOWED_ACE
		if windows.GetAce(acl, i, &ace) != nil || ace.Header.AceType != windows.ACCESS_ALLOWED_ACE_TYPE {
			continue
		}
		if ace.Header.AceFlags&windows.INHERIT_ONLY_ACE != 0 || uint32(ace.Mask)&writeRights == 0 {
			continue
		}
		sid := (*windows.SID)(unsafe.Pointer(&ace.SidStart))
		for _, g := range broadGroups {
			if sid.IsWellKnown(g) {
				return sid.String()
			}
		}
	}
	return ""
}
