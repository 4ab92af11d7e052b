package collectorconfig_test

import (
	"bytes"
	"encoding/json"
	"testing"

	logspb "go.opentelemetry.io/proto/otlp/logs/v1"

	"github.com/waymarkhq/waymark/collector-config/internal/sim"
)

// A client that never got the collector's 200 sends the same events again, and VictoriaLogs
// keeps every record it is given. `waymark report --victorialogs` counts distinct installs,
// sessions and event ids, so a VictoriaLogs that holds a third of the requests twice (sent
// again later, as a retry is) gives the very report of one that holds each request once: every
// count, error report and median, for each report case.
func TestReportVictoriaLogsCountsRetriedEventsOnce(t *testing.T) {
	once, onceP := startVictoriaLogs(t)
	twice, twiceP := startVictoriaLogs(t)
	end := historyEnd()
	var reqs []*logspb.LogsData
	var batch []*sim.Upload
	n := 0
	flush := func() {
		if len(batch) > 0 {
			reqs = append(reqs, sim.LogsData(batch))
			batch = nil
		}
	}
	_, err := sim.Run(sim.Config{Installs: 1500, Days: 60, Seed: 9, Products: []string{"acme", "acme-server"}, Servers: 10, ErrorRate: 0.01, End: end}, func(u *sim.Upload) error {
		batch = append(batch, u)
		n += len(u.Records)
		if len(batch) == 50 {
			flush()
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	flush()
	dup, nDup := append([]*logspb.LogsData(nil), reqs...), n
	for i := 0; i < len(reqs); i += 3 {
		dup = append(dup, reqs[i])
		for _, rl := range reqs[i].ResourceLogs {
			for _, sl := range rl.ScopeLogs {
				nDup += len(sl.LogRecords)
			}
		}
	}
	sendAll(t, once+"/insert/opentelemetry/v1/logs", reqs, 2)
	sendAll(t, twice+"/insert/opentelemetry/v1/logs", dup, 2)
	waitStored(t, once, n, onceP.output)
	waitStored(t, twice, nDup, twiceP.output)

	for _, args := range reportCases(end) {
		a := waymarkReport(t, append(args, "--json", "--victorialogs", once)...)
		b := waymarkReport(t, append(args, "--json", "--victorialogs", twice)...)
		if !bytes.Equal(a, b) {
			t.Errorf("%q: the report over the retried requests differs:\n%s\nonce:\n%s", args, b, a)
		}
		var decoded any
		if err := json.Unmarshal(a, &decoded); err != nil {
			t.Fatal(err)
		}
		checkSubstance(t, args, decoded)
	}
}
