package sdk

import (
	"fmt"
	"strings"

	"github.com/waymarkhq/waymark/gate"
)

// debugOff tells a user who asked for debug mode (<P>_TELEMETRY=debug) why
// this run records and prints nothing: a rule that outranks the variable
// turned telemetry off, such as the user's own --no-telemetry flag
// (Config.DisabledBy), and its reason names it.
func (c *Client) debugOff() {
	v, _ := c.h.lookup(gate.EnvPrefix(c.cfg.Product) + "_TELEMETRY")
	if strings.EqualFold(strings.TrimSpace(v), "debug") {
		fmt.Fprintf(c.h.stderr, "waymark debug: %s telemetry is off (%s): nothing is recorded or sent\n", c.cfg.Product, oneLine(c.decision.Reason))
	}
}
