// Command vault is a thin wrapper that builds the HashiCorp Vault CLI/server
// from the published Go module at the version pinned in go.mod.
// It exists only so tooling/services can build a real `vault` binary for tests.
package main

import (
	"os"

	"github.com/hashicorp/vault/command"
)

func main() {
	os.Exit(command.Run(os.Args[1:]))
}
