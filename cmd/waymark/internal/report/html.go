package report

import (
	"html/template"
	"io"
)

// WriteHTML writes the report as one self-contained HTML page.
func WriteHTML(w io.Writer, r *Report) error {
	t := template.Must(template.New("p").Parse(`<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Waymark report</title></head><body>{{range $n, $p := .Products}}<h2>{{$n}}</h2><p>{{$p.Installs30d}} installs in 30 days</p>{{end}}</body></html>`))
	return t.Execute(w, r)
}
