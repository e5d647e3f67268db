package insforgefake

import (
	"os"
	"testing"
)

// TestMain: a quarter of this package's tests never use the database, so
// the servers make theirs on first use (TestDatabaseOnFirstUse checks it).
func TestMain(m *testing.M) {
	DatabasesOnFirstUse(false)
	os.Exit(m.Run())
}
