package erase

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/waymarkhq/waymark/collector-config/logsql"
	"github.com/waymarkhq/waymark/internal/schema"
)

// VictoriaLogs is the Backend over a VictoriaLogs started with -delete.enable (a single node,
// or a cluster's select nodes with -delete.enable and its storage nodes with
// -internaldelete.enable). Deleting is VictoriaLogs' asynchronous delete task:
// POST /delete/run_task with a LogsQL filter returns a task id, and the task is done when
// /delete/active_tasks no longer lists it.
type VictoriaLogs struct {
	// URL is VictoriaLogs' base URL, e.g. http://127.0.0.1:9428.
	URL string
	// Client, if set, sends the requests; nil means one with a 1-minute timeout per request.
	Client *http.Client
	// Wait bounds how long Delete waits for the task; zero means 30 minutes.
	Wait time.Duration
}

func (v VictoriaLogs) client() *http.Client {
	if v.Client != nil {
		return v.Client
	}
	return &http.Client{Timeout: time.Minute}
}

func (v VictoriaLogs) base() string { return strings.TrimRight(v.URL, "/") }

// Requests implements Backend: the ids of the erasure requests VictoriaLogs holds.
func (v VictoriaLogs) Requests() ([]string, error) {
	rows, err := logsql.Run(context.Background(), v.client(), v.URL,
		`event_name:="`+schema.EventErasure+`" | uniq by (`+schema.ResInstallationID+`)`, time.Now())
	if err != nil {
		return nil, fmt.Errorf("erase: victorialogs %s: %w", v.URL, err)
	}
	var ids []string
	for _, r := range rows {
		if id := r[schema.ResInstallationID]; id != "" {
			ids = append(ids, id)
		}
	}
	return ids, nil
}

// Installs implements Backend: every installation id VictoriaLogs holds records of.
func (v VictoriaLogs) Installs() ([]string, error) {
	rows, err := logsql.Run(context.Background(), v.client(), v.URL,
		schema.ResInstallationID+`:* | uniq by (`+schema.ResInstallationID+`)`, time.Now())
	if err != nil {
		return nil, fmt.Errorf("erase: victorialogs %s: %w", v.URL, err)
	}
	ids := make([]string, 0, len(rows))
	for _, r := range rows {
		if id := r[schema.ResInstallationID]; id != "" {
			ids = append(ids, id)
		}
	}
	return ids, nil
}

// idFilter is the LogsQL filter of the records of ids.
func idFilter(ids []string) string {
	q := make([]string, len(ids))
	for i, id := range ids {
		q[i] = strconv.Quote(id)
	}
	return schema.ResInstallationID + ":in(" + strings.Join(q, ", ") + ")"
}

// Delete implements Backend: one delete task for all ids, waited for, then checked.
func (v VictoriaLogs) Delete(ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	c := v.client()
	resp, err := c.PostForm(v.base()+"/delete/run_task", url.Values{"filter": {idFilter(ids)}})
	if err != nil {
		return fmt.Errorf("erase: victorialogs delete: %w", err)
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("erase: victorialogs delete: %s: %s (is it started with -delete.enable?)", resp.Status, strings.TrimSpace(string(body)))
	}
	var task struct {
		ID string `json:"task_id"`
	}
	if err := json.Unmarshal(body, &task); err != nil || task.ID == "" {
		return fmt.Errorf("erase: victorialogs delete: unexpected answer %q", body)
	}
	wait := v.Wait
	if wait == 0 {
		wait = 30 * time.Minute
	}
	deadline := time.Now().Add(wait)
	for {
		active, err := v.activeTasks(c)
		if err != nil {
			return err
		}
		if !active[task.ID] {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("erase: victorialogs delete task %s still running after %v; run again later", task.ID, wait)
		}
		time.Sleep(200 * time.Millisecond)
	}
	rows, err := logsql.Run(context.Background(), c, v.URL, idFilter(ids)+" | stats count() as n", time.Now())
	if err != nil {
		return fmt.Errorf("erase: victorialogs check: %w", err)
	}
	for _, r := range rows {
		if r["n"] != "" && r["n"] != "0" {
			return fmt.Errorf("erase: victorialogs still holds %s records of erased installs (arrived during the delete?); run again", r["n"])
		}
	}
	return nil
}

// activeTasks lists the ids of VictoriaLogs' running delete tasks.
func (v VictoriaLogs) activeTasks(c *http.Client) (map[string]bool, error) {
	resp, err := c.Get(v.base() + "/delete/active_tasks")
	if err != nil {
		return nil, fmt.Errorf("erase: victorialogs: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("erase: victorialogs active tasks: %s", resp.Status)
	}
	var tasks []struct {
		ID string `json:"task_id"`
	}
	if err := json.Unmarshal(body, &tasks); err != nil {
		return nil, fmt.Errorf("erase: victorialogs active tasks: %w", err)
	}
	out := map[string]bool{}
	for _, t := range tasks {
		out[t.ID] = true
	}
	return out, nil
}
