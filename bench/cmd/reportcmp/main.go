// Command reportcmp compares the counts of two `waymark report --json` outputs: the former
// flat form and the per-product form ({"products": {name: {...}}}, one product). It prints
// each key that differs and exits 1 if any does.
//
//	go run ./bench/cmd/reportcmp former.json current.json
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"reflect"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: reportcmp former.json current.json")
		os.Exit(2)
	}
	var former map[string]any
	var current struct {
		Products map[string]map[string]any `json:"products"`
	}
	if err := load(os.Args[1], &former); err != nil {
		fail(err)
	}
	if err := load(os.Args[2], &current); err != nil {
		fail(err)
	}
	if len(current.Products) != 1 {
		fail(fmt.Errorf("%s has %d products, want 1", os.Args[2], len(current.Products)))
	}
	bad := false
	for _, p := range current.Products {
		for _, k := range []string{"installs_30d", "installs_1d", "versions", "os", "arch", "servers_live"} {
			if !reflect.DeepEqual(former[k], p[k]) {
				fmt.Printf("%s: former %v, now %v\n", k, former[k], p[k])
				bad = true
			}
		}
	}
	if bad {
		os.Exit(1)
	}
}

func load(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "reportcmp:", err)
	os.Exit(2)
}
