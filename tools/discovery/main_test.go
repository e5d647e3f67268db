package discovery_test

import (
	"os"
	"testing"

	"github.com/insforge-mcp/insforge-mcp/internal/insforgefake"
)

// TestMain: most tests of this package never use the fake backend's
// database, so the fakes make theirs on first use (each fake that does not
// spares a CREATE and a DROP DATABASE).
func TestMain(m *testing.M) {
	insforgefake.DatabasesOnFirstUse(false)
	os.Exit(m.Run())
}
