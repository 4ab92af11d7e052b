// Package wintest is Waymark's Windows suite, run on Linux under Wine: it
// builds the example CLIs and the core packages' tests as windows/amd64
// binaries, runs them in a Wine prefix of its own and checks what matters on
// Windows (delivery, exactly-once milestones, opt-outs, the machine policy
// under %ProgramData%, the state dir under %AppData%, the detached uploader).
// Its tests carry the build tag "wine" and run through `make test-windows`,
// which installs Wine and the mingw-w64 compiler first. It holds no code that
// ships.
package wintest
