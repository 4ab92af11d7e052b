package report

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

// fullLine is recordLine with the resource attributes that the report breaks counts down by.
func fullLine(install, version, osType, event string, at time.Time, n int, extra ...string) string {
	l := recordLine(install, event, at, n, extra...)
	return strings.Replace(l, `{"key":"app.installation.id"`,
		fmt.Sprintf(`{"key":"service.version","value":{"stringValue":"%s"}},{"key":"os.type","value":{"stringValue":"%s"}},{"key":"host.arch","value":{"stringValue":"amd64"}},{"key":"app.installation.id"`, version, osType), 1)
}

// Adding every kind of record of an install that asked for erasure changes no number of the
// report: versions, platforms, funnel, agents, retention, errors, sessions are those of the
// other installs alone.
func TestErasedInstallChangesNoCount(t *testing.T) {
	gone, kept := ids(2, 900)[0], ids(2, 900)[1]
	var keptLines, goneLines strings.Builder
	for i, d := range []int{40, 20, 9, 3, 1} {
		at := simNow.Add(-time.Duration(d) * 24 * time.Hour)
		keptLines.WriteString(fullLine(kept, "1.0.0", "linux", EventUsage, at, i))
		goneLines.WriteString(fullLine(gone, "9.9.9", "windows", EventUsage, at, i, agentAttr("cursor")))
		goneLines.WriteString(fullLine(gone, "9.9.9", "windows", EventHeartbeat, at, 100+i,
			`{"key":"session.start","value":{"stringValue":"`+at.Format(time.RFC3339)+`"}}`,
			`{"key":"session.uptime_s","value":{"intValue":"600"}}`,
			`{"key":"heartbeat.interval_s","value":{"intValue":"600"}}`))
	}
	at := simNow.Add(-2 * time.Hour)
	goneLines.WriteString(fullLine(gone, "9.9.9", "windows", EventMilestone, at, 200, `{"key":"milestone.name","value":{"stringValue":"first_run"}}`))
	goneLines.WriteString(fullLine(gone, "9.9.9", "windows", EventErrorReport, at, 201,
		`{"key":"exception.type","value":{"stringValue":"*errors.errorString"}}`,
		`{"key":"exception.message","value":{"stringValue":"boom"}}`,
		`{"key":"exception.stacktrace","value":{"stringValue":"main.main()"}}`))
	goneLines.WriteString(fullLine(gone, "9.9.9", "windows", EventErasure, at, 202))
	q := Query{Now: simNow, RangeDays: 30}
	want, _ := aggregateText(t, keptLines.String(), q)
	got, _ := aggregateText(t, keptLines.String()+goneLines.String(), q)
	wj, _ := json.MarshalIndent(want["acme"], "", " ")
	gj, _ := json.MarshalIndent(got["acme"], "", " ")
	if string(wj) != string(gj) {
		t.Errorf("the erased install changed the report:\nwithout it:\n%s\nwith it:\n%s", wj, gj)
	}
}
