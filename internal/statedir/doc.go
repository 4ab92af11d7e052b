// Package statedir owns Waymark's state directory: where it is, every name in
// it, and every open, read, write, lock and delete inside it. Nobody else joins
// a file name onto the state dir.
//
// The disk is treated as hostile ground, because Waymark runs inside other
// people's programs, often as root, on machines it does not control:
//
//   - the directory's path is made absolute once, so every process (the host
//     and its detached uploader, whose working directory differs) uses the same;
//   - a state dir that is not a directory, is owned by another user, or is
//     writable by group or others is not used at all (as ssh treats its files);
//   - no symlink inside it is followed (O_NOFOLLOW, Lstat), and only regular
//     files owned by this user are read or written, opened non-blocking so a
//     FIFO or device can never hang the host, and every read is bounded;
//   - only files whose names match Waymark's own patterns are ever deleted,
//     never recursively, and an entry Waymark did not make is never replaced;
//   - lock waits are bounded, and a [Budget] bounds their total in the host.
//
// The path leading to the state dir may contain symlinks (dotfile managers
// link ~/.config): that is the user's choice and keeps working.
//
// It never decides anything about telemetry and never interprets what the
// files hold.
package statedir
