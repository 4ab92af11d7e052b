// Package update owns Waymark's update check and security notices, in the
// manner of Prisma's checkpoint client: the vendor's static manifest (parsed
// strictly and within fixed caps), semantic versions and version ranges, the
// cache of the last fetched manifest in the state dir (update.json), and the
// decision of which notices to show now.
//
// The manifest is a static JSON document that the vendor publishes:
//
//	{
//	  "latest": "1.5.0",
//	  "url":    "https://acme.dev/releases/1.5.0",
//	  "alerts": [
//	    {"id": "ACME-2024-01", "affected": "<1.4.3", "message": "…", "url": "https://…"}
//	  ]
//	}
//
// Package update never decides whether a check is allowed (the gate does),
// never starts a goroutine or a fetch of its own, never runs on the host's
// exit path (the caller fetches from a background goroutine or the detached
// uploader, at most every 12 hours), never prints (Notices returns the lines)
// and never sends anything about the installation: a fetch is a plain GET of
// a static document.
package update
