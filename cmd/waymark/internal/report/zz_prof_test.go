package report

import (
	"os"
	"testing"
)

func BenchmarkZZStore(b *testing.B) {
	dir := os.Getenv("ZZSTORE")
	for b.Loop() {
		if _, err := (Files{Paths: []string{dir}}).Aggregate(Query{Now: simNow, RangeDays: 30}); err != nil {
			b.Fatal(err)
		}
	}
}
