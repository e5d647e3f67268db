// Package contract is the contract suite: protocol scenarios that call every
// tool of the catalogue, through an MCP client, against a real InsForge
// backend, and check what comes back. It needs that backend, so its tests
// build only with the contract tag:
//
//	INSFORGE_CONTRACT_URL=http://127.0.0.1:7130 INSFORGE_CONTRACT_KEY=ik_… \
//	  go test -tags contract -count=1 -v ./internal/contract/
//
// The suite creates what it uses under unique names and removes it again.
// It rotates the anon key and the admin key last, each with a grace period,
// and then puts the original keys back as the database owner
// (run-unrestricted-sql), so the key it was given keeps working. It empties
// the realtime message log (delete-realtime-messages): point it only at a
// backend made for testing.
package contract
