package sdk

import (
	"errors"
	"syscall"

	"github.com/waymarkhq/waymark/gate"
	"github.com/waymarkhq/waymark/internal/statedir"
)

// policyFileName is the one-word file an administrator writes: off or local.
const policyFileName = "telemetry-policy"

// maxPolicy bounds the read of a policy file: it holds one word.
const maxPolicy = 256

// policyRoot, when not empty, replaces the system folders that hold policy
// files. Only this package's tests set it: a release binary always reads
// the places administrators expect.
var policyRoot string

// policyFiles lists the machine policy files for product, the product's own
// first, then the one for every Waymark-instrumented tool.
func policyFiles(product string) []string {
	if policyRoot != "" {
		return []string{policyRoot + "/" + product + "/" + policyFileName, policyRoot + "/waymark/" + policyFileName}
	}
	return systemPolicyFiles(product)
}

// readPolicy reads every machine policy file of product that exists, the
// product's own first; gate decides which wins. A file that exists but
// cannot be read (a symlink, a FIFO, too large) carries its error: it means
// off.
func readPolicy(product string) []gate.PolicyFile {
	var out []gate.PolicyFile
	for _, p := range policyFiles(product) {
		data, err := statedir.ReadPolicyFile(p, maxPolicy)
		if statedir.IsNotExist(err) || errors.Is(err, syscall.ENOTDIR) {
			continue // no such file (a product named like a file in /etc has none either)
		}
		out = append(out, gate.PolicyFile{Path: p, Content: string(data), Err: err})
	}
	return out
}
