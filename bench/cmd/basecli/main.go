// Command basecli is the baseline of the link-cost benchmark: a tiny CLI that
// already uses net/http, as most CLIs that would add Waymark do. It builds an
// HTTP client and a request to a loopback URL and prints a line. It sends the
// request only when run as `basecli send`, which the benchmark never does;
// the call is there so the linker keeps the HTTP transport (TLS, HTTP/2,
// proxies) that any real net/http client links, as the 5.9 MB
// net/http CLI does. bench/cmd/withsdk is the same program plus sdk.Start
// and Shutdown.
package main

import (
	"fmt"
	"net/http"
	"os"
	"time"
)

func main() {
	client := &http.Client{Timeout: 2 * time.Second}
	req, err := http.NewRequest(http.MethodGet, "http://127.0.0.1:9/status", nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if len(os.Args) > 1 && os.Args[1] == "send" {
		resp, err := client.Do(req)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		resp.Body.Close()
	}
	fmt.Printf("would %s %s within %v\n", req.Method, req.URL, client.Timeout)
}
