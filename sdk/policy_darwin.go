//go:build darwin

package sdk

// systemPolicyFiles: on macOS, /Library/Application Support/<product>/ and
// /Library/Application Support/Waymark/, where administrators and MDM
// profiles put machine-wide settings.
func systemPolicyFiles(product string) []string {
	const base = "/Library/Application Support/"
	return []string{base + product + "/" + policyFileName, base + "Waymark/" + policyFileName}
}
