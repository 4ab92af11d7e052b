//go:build windows

package sdk

import "os"

// systemPolicyFiles: on Windows, %ProgramData%\<product>\ and
// %ProgramData%\Waymark\ (C:\ProgramData when the variable is unset).
func systemPolicyFiles(product string) []string {
	base := os.Getenv("ProgramData")
	if base == "" {
		base = `C:\ProgramData`
	}
	return []string{base + `\` + product + `\` + policyFileName, base + `\Waymark\` + policyFileName}
}
