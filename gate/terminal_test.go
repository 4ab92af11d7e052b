package gate

import (
	"os"
	"path/filepath"
	"testing"
)

func TestIsTerminalPipe(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	if IsTerminal(r.Fd()) || IsTerminal(w.Fd()) {
		t.Error("a pipe is reported as a terminal")
	}
}

func TestIsTerminalRegularFile(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "out"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if IsTerminal(f.Fd()) {
		t.Error("a regular file is reported as a terminal")
	}
}

func TestIsTerminalBadDescriptor(t *testing.T) {
	if IsTerminal(^uintptr(0)) {
		t.Error("an invalid descriptor is reported as a terminal")
	}
}

func TestIsCygwinPipeName(t *testing.T) {
	tests := []struct {
		name string
		want bool
	}{
		{`\msys-dd50a72ab4668b33-pty0-to-master`, true},
		{`\msys-dd50a72ab4668b33-pty12-from-master`, true},
		{`\cygwin-e022582115c10879-pty4-to-master-nat`, true},
		{`\cygwin-e022582115c10879-pty4-from-master-nat`, true},
		{`\cygwin-E022582115C10879-pty4-to-master-cyg`, true},
		{`msys-dd50a72ab4668b33-pty0-to-master`, false},    // no leading backslash
		{`\msys-dd50a72ab4668b33-pty0-to-slave`, false},    // the slave side
		{`\msys-dd50a72ab4668b33-pty-to-master`, false},    // no pty number
		{`\msys-dd50a72ab4668b33-ptyx-to-master`, false},   // not a number
		{`\msys-zz50a72ab4668b33-pty0-to-master`, false},   // key not hex
		{`\msys--pty0-to-master`, false},                   // empty key
		{`\mingw-dd50a72ab4668b33-pty0-to-master`, false},  // not cygwin or msys
		{`\msys-dd50a72ab4668b33-pty0-to-master-x`, false}, // unknown suffix
		{`\msys-dd50a72ab4668b33-pty0-to-master-nat-nat`, false},
		{`\Device\NamedPipe\anything`, false},
		{``, false},
		{`\`, false},
	}
	for _, tc := range tests {
		if got := isCygwinPipeName(tc.name); got != tc.want {
			t.Errorf("isCygwinPipeName(%q) = %v, want %v", tc.name, got, tc.want)
		}
	}
}
