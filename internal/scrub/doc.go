// Package scrub owns the scrubbing of an error report (a panic's message and
// stack trace) before it leaves the machine: the home directory, the user
// name, absolute paths outside the module, e-mail and IP addresses, URL
// credentials and query strings, and long random-looking tokens are removed,
// while a Go stack trace stays readable.
//
// Scrubbing is best effort over free text, and errs on the side of removing
// too much. The package never reads the environment, the file system or the
// clock (the caller passes the home directory, user name and module root,
// read once), never decides whether a report is sent, and compiles no regular
// expressions: its scanners are written by hand and do no work at package
// init.
package scrub
