package scrub_test

import (
	"fmt"

	"github.com/waymarkhq/waymark/internal/scrub"
)

func Example() {
	s := scrub.New("/home/bob", "bob", "/home/bob/src/acme")
	fmt.Println(s.String(`panic: open /home/bob/.config/acme/state: permission denied (user bob, bob@example.com)

goroutine 1 [running]:
main.load(...)
	/home/bob/src/acme/internal/state/load.go:42 +0x1d
net/http.Get({0xc000012345, 0x20})
	/usr/local/go/src/net/http/client.go:461 +0x5e
fetching https://bob:hunter2@10.0.0.7:8443/api?key=3f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c`))
	// Output:
	// panic: open state: permission denied (user <user>, <email>)
	//
	// goroutine 1 [running]:
	// main.load(...)
	// 	internal/state/load.go:42 +0x1d
	// net/http.Get({0xc000012345, 0x20})
	// 	client.go:461 +0x5e
	// fetching https://<ip>:8443/api
}
