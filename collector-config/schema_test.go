package collectorconfig_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/waymarkhq/waymark/internal/schema"
)

// The schema of what the SDK sends, as the stored files must show it, written a second time, in Go, as an
// oracle for ingest.yaml: every stored line is checked against it by checkSchema.
var (
	uuidRE      = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	serviceRE   = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,31}$`)
	milestoneRE = regexp.MustCompile(`^[a-z][a-z0-9_.-]{0,63}$`)
	versionRE   = regexp.MustCompile(`^[0-9A-Za-z(][0-9A-Za-z.+_~:()-]{0,63}$`)
	semverRE    = regexp.MustCompile(`^[0-9]{1,4}\.[0-9]{1,4}\.[0-9]{1,4}(-[0-9A-Za-z.-]{1,32})?$`)
	runtimeRE   = regexp.MustCompile(`^(go|devel )[0-9A-Za-z.+_:,/ -]{1,58}$`)

	// Go's GOOS and GOARCH lists as the SDK maps them, from the one schema; TestGoPlatformLists
	// checks them against this Go's own lists.
	goOSTypes    = schema.OSTypes()
	goHostArches = schema.HostArches()

	// allowedResource is every resource key, with the check of its value.
	allowedResource = map[string]func(any) bool{
		"service.name":            strMatch(serviceRE),
		"service.version":         strMatch(versionRE),
		"app.installation.id":     strMatch(uuidRE),
		"os.type":                 strIn(goOSTypes),
		"host.arch":               strIn(goHostArches),
		"process.runtime.name":    strIn([]string{"go"}),
		"process.runtime.version": strMatch(runtimeRE),
		"telemetry.sdk.name":      strIn([]string{"waymark"}),
		"telemetry.sdk.language":  strIn([]string{"go"}),
		"telemetry.sdk.version":   strMatch(semverRE),
		"session.id":              strMatch(uuidRE),
	}
	// allowedEvent is, per event name, every attribute key with the check of its value.
	allowedEvent = map[string]map[string]func(any) bool{
		"waymark.milestone": {"event.id": strMatch(uuidRE), "milestone.name": strMatch(milestoneRE),
			"agent.name": strIn(schema.AgentNames()), "waymark.sample_rate": rate},
		"waymark.usage": {"event.id": strMatch(uuidRE), "agent.name": strIn(schema.AgentNames()), "waymark.sample_rate": rate},
		"waymark.heartbeat": {"event.id": strMatch(uuidRE), "session.start": isRFC3339,
			"session.uptime_s": intIn(0, 315576000), "heartbeat.interval_s": intIn(1, 86400), "api.version": strMatch(versionRE),
			"agent.name": strIn(schema.AgentNames()), "waymark.sample_rate": rate},
		"waymark.error_report": {"event.id": strMatch(uuidRE), "exception.type": strLen(512),
			"exception.message": strLen(8192 + 1024), "exception.stacktrace": strLen(8192 + 1024),
			"agent.name": strIn(schema.AgentNames()), "waymark.sample_rate": rate},
		"waymark.erasure": {"event.id": strMatch(uuidRE)},
	}
	// requiredEvent is, per event name, the attributes every such event carries.
	requiredEvent = map[string][]string{
		"waymark.milestone":    {"event.id", "milestone.name"},
		"waymark.usage":        {"event.id"},
		"waymark.heartbeat":    {"event.id", "session.start", "session.uptime_s", "heartbeat.interval_s"},
		"waymark.error_report": {"event.id", "exception.type", "exception.message", "exception.stacktrace"},
		"waymark.erasure":      {"event.id"},
	}
	// allowedMetric is each metric's name with its data kind.
	allowedMetric = map[string]string{"waymark.milestones": "sum", "waymark.heartbeats": "sum", "waymark.session.uptime": "gauge"}
)

func strMatch(re *regexp.Regexp) func(any) bool {
	return func(v any) bool { s, ok := v.(string); return ok && re.MatchString(s) }
}

func strIn(list []string) func(any) bool {
	return func(v any) bool { s, ok := v.(string); return ok && slices.Contains(list, s) }
}

func strLen(max int) func(any) bool {
	return func(v any) bool { s, ok := v.(string); return ok && len(s) <= max }
}

func intIn(lo, hi int64) func(any) bool {
	return func(v any) bool { n, ok := v.(int64); return ok && n >= lo && n <= hi }
}

// rate checks waymark.sample_rate: a double above 0 and at most 1.
func rate(v any) bool { f, ok := v.(float64); return ok && f > 0 && f <= 1 }

func isRFC3339(v any) bool {
	s, ok := v.(string)
	if !ok {
		return false
	}
	_, err := time.Parse(time.RFC3339Nano, s)
	return err == nil
}

// checkSchema parses every stored line (OTLP JSON, one export request per line) and fails on
// anything outside the schema: an unknown field at any level, a key not on the allowlist, a
// value of the wrong type or shape, a scope other than waymark, a metric other than the
// three, exemplars, bodies, trace context, flags, severity text, schema URLs, descriptions,
// units or metadata. It returns the number of records (log records and data points) seen.
func checkSchema(t *testing.T, path, content string) int {
	t.Helper()
	sc := bufio.NewScanner(strings.NewReader(content))
	sc.Buffer(nil, 64<<20)
	n, records := 0, 0
	for sc.Scan() {
		n++
		where := fmt.Sprintf("%s:%d", path, n)
		if !utf8.Valid(sc.Bytes()) {
			t.Errorf("%s: invalid UTF-8 stored", where)
		}
		var line map[string]json.RawMessage
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Errorf("%s: not JSON: %v", where, err)
			continue
		}
		checkFields(t, where, line, "resourceLogs", "resourceMetrics")
		for _, rl := range objects(t, where, line["resourceLogs"]) {
			checkFields(t, where+" resourceLogs", rl, "resource", "scopeLogs")
			res := checkResource(t, where, rl["resource"])
			for _, sl := range objects(t, where, rl["scopeLogs"]) {
				checkFields(t, where+" scopeLogs", sl, "scope", "logRecords")
				checkScope(t, where, sl["scope"])
				for _, r := range objects(t, where, sl["logRecords"]) {
					records++
					checkLogRecord(t, where, r, res)
				}
			}
		}
		for _, rm := range objects(t, where, line["resourceMetrics"]) {
			checkFields(t, where+" resourceMetrics", rm, "resource", "scopeMetrics")
			checkResource(t, where, rm["resource"])
			for _, sm := range objects(t, where, rm["scopeMetrics"]) {
				checkFields(t, where+" scopeMetrics", sm, "scope", "metrics")
				checkScope(t, where, sm["scope"])
				for _, m := range objects(t, where, sm["metrics"]) {
					records += checkMetric(t, where, m)
				}
			}
		}
	}
	if err := sc.Err(); err != nil {
		t.Errorf("%s: %v", path, err)
	}
	return records
}

// checkFields fails when obj has a field not in allowed.
func checkFields(t *testing.T, where string, obj map[string]json.RawMessage, allowed ...string) {
	t.Helper()
	for k := range obj {
		if !slices.Contains(allowed, k) {
			t.Errorf("%s: field %q stored: %.200s", where, k, obj[k])
		}
	}
}

func objects(t *testing.T, where string, raw json.RawMessage) []map[string]json.RawMessage {
	t.Helper()
	if raw == nil {
		return nil
	}
	var out []map[string]json.RawMessage
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Errorf("%s: %v", where, err)
	}
	return out
}

func object(t *testing.T, where string, raw json.RawMessage) map[string]json.RawMessage {
	t.Helper()
	out := map[string]json.RawMessage{}
	if raw != nil {
		if err := json.Unmarshal(raw, &out); err != nil {
			t.Errorf("%s: %v", where, err)
		}
	}
	return out
}

// attributes decodes a list of OTLP/JSON KeyValues into key → string or int64; a value of
// any other type fails the test.
func attributes(t *testing.T, where string, raw json.RawMessage) map[string]any {
	t.Helper()
	out := map[string]any{}
	if raw == nil {
		return out
	}
	var kvs []struct {
		Key   string                     `json:"key"`
		Value map[string]json.RawMessage `json:"value"`
	}
	if err := json.Unmarshal(raw, &kvs); err != nil {
		t.Errorf("%s: attributes: %v", where, err)
		return out
	}
	// Nothing beside the key and the value (no string-table index of the key).
	var fields []map[string]json.RawMessage
	_ = json.Unmarshal(raw, &fields)
	for _, f := range fields {
		checkFields(t, where+" attribute", f, "key", "value")
	}
	for _, kv := range kvs {
		if _, dup := out[kv.Key]; dup {
			t.Errorf("%s: attribute %q twice", where, kv.Key)
		}
		switch {
		case len(kv.Value) == 1 && kv.Value["stringValue"] != nil:
			var s string
			if err := json.Unmarshal(kv.Value["stringValue"], &s); err != nil {
				t.Errorf("%s: %q: %v", where, kv.Key, err)
			}
			out[kv.Key] = s
		case len(kv.Value) == 1 && kv.Value["intValue"] != nil:
			var s string
			if err := json.Unmarshal(kv.Value["intValue"], &s); err != nil {
				t.Errorf("%s: %q: %v", where, kv.Key, err)
			}
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				t.Errorf("%s: %q: %v", where, kv.Key, err)
			}
			out[kv.Key] = n
		case len(kv.Value) == 1 && kv.Value["doubleValue"] != nil:
			var f float64
			if err := json.Unmarshal(kv.Value["doubleValue"], &f); err != nil {
				t.Errorf("%s: %q: %v", where, kv.Key, err)
			}
			out[kv.Key] = f
		default:
			t.Errorf("%s: attribute %q has a value of another type: %.200v", where, kv.Key, kv.Value)
			out[kv.Key] = nil
		}
	}
	return out
}

func checkAttributes(t *testing.T, where string, attrs map[string]any, allowed map[string]func(any) bool) {
	t.Helper()
	for k, v := range attrs {
		check, ok := allowed[k]
		switch {
		case !ok:
			t.Errorf("%s: attribute %q is not in the schema", where, k)
		case !check(v):
			t.Errorf("%s: attribute %q has a value outside the schema: %q", where, k, fmt.Sprint(v))
		}
	}
}

func checkResource(t *testing.T, where string, raw json.RawMessage) map[string]any {
	t.Helper()
	res := object(t, where, raw)
	checkFields(t, where+" resource", res, "attributes")
	attrs := attributes(t, where+" resource", res["attributes"])
	checkAttributes(t, where+" resource", attrs, allowedResource)
	for k := range allowedResource {
		if _, ok := attrs[k]; !ok && k != "session.id" {
			t.Errorf("%s: resource lacks %q", where, k)
		}
	}
	return attrs
}

func checkScope(t *testing.T, where string, raw json.RawMessage) {
	t.Helper()
	scope := object(t, where, raw)
	checkFields(t, where+" scope", scope, "name", "version")
	var name, version string
	_ = json.Unmarshal(scope["name"], &name)
	_ = json.Unmarshal(scope["version"], &version)
	if name != "waymark" || !semverRE.MatchString(version) {
		t.Errorf("%s: scope %q version %q stored", where, name, version)
	}
}

func checkLogRecord(t *testing.T, where string, r map[string]json.RawMessage, res map[string]any) {
	t.Helper()
	checkFields(t, where+" log record", r, "timeUnixNano", "observedTimeUnixNano", "severityNumber", "body", "attributes", "eventName")
	if b := r["body"]; b != nil && string(b) != "{}" {
		t.Errorf("%s: body stored: %.200s", where, b)
	}
	if s := r["severityNumber"]; s != nil && string(s) != "9" {
		t.Errorf("%s: severity %s stored", where, s)
	}
	var name string
	_ = json.Unmarshal(r["eventName"], &name)
	allowed, ok := allowedEvent[name]
	if !ok {
		t.Errorf("%s: event %q stored", where, name)
		return
	}
	attrs := attributes(t, where+" "+name, r["attributes"])
	checkAttributes(t, where+" "+name, attrs, allowed)
	for _, k := range requiredEvent[name] {
		if _, ok := attrs[k]; !ok {
			t.Errorf("%s: %s stored without %q", where, name, k)
		}
	}
	if name == "waymark.heartbeat" && res["session.id"] == nil {
		t.Errorf("%s: heartbeat stored without session.id", where)
	}
}

// checkMetric checks one stored metric and returns its number of data points.
func checkMetric(t *testing.T, where string, m map[string]json.RawMessage) int {
	t.Helper()
	var name string
	_ = json.Unmarshal(m["name"], &name)
	kind, ok := allowedMetric[name]
	if !ok {
		t.Errorf("%s: metric %q stored", where, name)
		return 0
	}
	where += " " + name
	checkFields(t, where, m, "name", kind)
	data := object(t, where, m[kind])
	if kind == "sum" {
		checkFields(t, where, data, "dataPoints", "aggregationTemporality", "isMonotonic")
		if string(data["aggregationTemporality"]) != "1" || string(data["isMonotonic"]) != "true" {
			t.Errorf("%s: not a delta monotonic sum: %s %s", where, data["aggregationTemporality"], data["isMonotonic"])
		}
	} else {
		checkFields(t, where, data, "dataPoints")
	}
	points := objects(t, where, data["dataPoints"])
	for _, dp := range points {
		checkFields(t, where+" data point", dp, "attributes", "startTimeUnixNano", "timeUnixNano", "asInt", "asDouble")
		attrs := attributes(t, where+" data point", dp["attributes"])
		allowed := map[string]func(any) bool{}
		if name == "waymark.milestones" {
			allowed["milestone.name"] = strMatch(milestoneRE)
			if attrs["milestone.name"] == nil {
				t.Errorf("%s: data point without milestone.name", where)
			}
		}
		checkAttributes(t, where+" data point", attrs, allowed)
		if (kind == "sum") != (dp["asInt"] != nil) || (kind == "sum") == (dp["asDouble"] != nil) {
			t.Errorf("%s: value of the wrong type: %s %s", where, dp["asInt"], dp["asDouble"])
		}
	}
	return len(points)
}

// TestGoPlatformLists checks the os.type and host.arch lists (here and in ingest.yaml) against
// this Go's own lists of GOOS and GOARCH values (internal/syslist), mapped as the SDK maps them
// (osType and hostArch in sdk/sdk.go).
func TestGoPlatformLists(t *testing.T) {
	out, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile(filepath.Join(strings.TrimSpace(string(out)), "src", "internal", "syslist", "syslist.go"))
	if err != nil {
		t.Fatal(err)
	}
	list := func(name string, mapping map[string]string) []string {
		i := strings.Index(string(src), "var "+name+" = map[string]bool{")
		if i < 0 {
			t.Fatalf("syslist.go has no %s", name)
		}
		body := string(src[i:])
		body = body[:strings.Index(body, "}")]
		var vals []string
		for _, m := range regexp.MustCompile(`"([a-z0-9]+)":`).FindAllStringSubmatch(body, -1) {
			v := m[1]
			if mapped, ok := mapping[v]; ok {
				v = mapped
			}
			if !slices.Contains(vals, v) {
				vals = append(vals, v)
			}
		}
		slices.Sort(vals)
		return vals
	}
	oses := list("KnownOS", map[string]string{"ios": "darwin", "illumos": "solaris", "android": "linux"})
	arches := list("KnownArch", map[string]string{"386": "x86", "arm": "arm32", "ppc64le": "ppc64"})
	yaml, err := os.ReadFile("ingest.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		key        string
		want, here []string
	}{{"os.type", oses, goOSTypes}, {"host.arch", arches, goHostArches}} {
		if got := slices.Sorted(slices.Values(tc.here)); !slices.Equal(got, tc.want) {
			t.Errorf("%s list here %v, Go's %v", tc.key, got, tc.want)
		}
		m := regexp.MustCompile(`IsMatch\(resource.attributes\["` + regexp.QuoteMeta(tc.key) + `"\], "\^\(([a-z0-9|]+)\)`).FindSubmatch(yaml)
		if m == nil {
			t.Fatalf("ingest.yaml has no list for %s", tc.key)
		}
		if got := slices.Sorted(slices.Values(strings.Split(string(m[1]), "|"))); !slices.Equal(got, tc.want) {
			t.Errorf("%s list in ingest.yaml %v, Go's %v", tc.key, got, tc.want)
		}
	}
}
