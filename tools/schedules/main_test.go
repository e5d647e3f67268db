package schedules_test

import (
	"os"
	"testing"

	"github.com/insforge-mcp/insforge-mcp/internal/insforgefake"
)

// TestMain: no test of this package uses the fake backend's database, so
// the fakes make it, and the PostgreSQL cluster, only if one ever does
// (each fake then spares a CREATE and a DROP DATABASE, and the process the
// cluster's start).
func TestMain(m *testing.M) {
	insforgefake.DatabasesOnFirstUse(true)
	os.Exit(m.Run())
}
