//go:build !darwin && !windows

package sdk

// systemPolicyFiles: on Linux and the BSDs, /etc/<product>/telemetry-policy
// and /etc/waymark/telemetry-policy.
func systemPolicyFiles(product string) []string {
	return []string{"/etc/" + product + "/" + policyFileName, "/etc/waymark/" + policyFileName}
}
