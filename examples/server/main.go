// Command acme-server is Waymark's example server: product "acme",
// Config.Server set, a heartbeat every --heartbeat, running until SIGINT or
// SIGTERM, then flushing within the FlushTimeout and exiting 0.
package main

import (
	"context"
	"flag"
	"log"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/waymarkhq/waymark/sdk"
)

var version = "1.4.2"

func main() {
	heartbeat := flag.Duration("heartbeat", 10*time.Minute, "telemetry heartbeat interval")
	flag.Parse()

	t, err := sdk.Start(sdk.Config{
		Product:   "acme",
		Version:   version,
		Endpoint:  "http://127.0.0.1:4318", // ACME_TELEMETRY_ENDPOINT overrides
		NoticeURL: "https://acme.example/telemetry",
		Server:    true,
		Heartbeat: *heartbeat,
	})
	if err != nil {
		log.Print(err)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	log.Printf("acme-server %s running; stop with Ctrl-C", version)
	<-ctx.Done()

	if err := t.Shutdown(context.Background()); err != nil {
		log.Print(err)
	}
	log.Print("acme-server stopped")
}
