package sdk

import (
	"errors"
	"syscall"

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

// readPolicy returns the content and path of the first policy file that
// exists, or "", "" when none does. A file that exists but cannot be read
// (a symlink, a FIFO, too large) is an error naming it: it means off.
func readPolicy(product string) (string, string, error) {
	for _, p := range policyFiles(product) {
		data, err := statedir.ReadPolicyFile(p, maxPolicy)
		if statedir.IsNotExist(err) || errors.Is(err, syscall.ENOTDIR) {
			continue // no such file (a product named like a file in /etc has none either)
		}
		if err != nil {
			return "", p, err
		}
		return string(data), p, nil
	}
	return "", "", nil
}
