package sessionstore

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/insforge-mcp/insforge-mcp/credentials"
	"github.com/insforge-mcp/insforge-mcp/internal/redistest"
)

const (
	secretA = "first-secret-of-at-least-32-bytes-long"
	secretB = "second-secret-of-at-least-32-bytes-long"
	testKey = "ik_0123456789abcdef0123456789abcdef"
)

func open(t *testing.T, srv *redistest.Server, log *slog.Logger, secrets ...string) *Store {
	t.Helper()
	s, err := Open(context.Background(), Options{URL: srv.URL(0), Secrets: secrets, TTL: time.Minute, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestSessionLifecycleAndRotation(t *testing.T) {
	ctx := context.Background()
	srv := redistest.Start(t)
	s := open(t, srv, nil, secretA)
	id := "ifm-0123456789abcdef0123456789abcdef"
	if _, found, err := s.Load(ctx, id); err != nil || found {
		t.Fatalf("unknown session: found=%v err=%v", found, err)
	}
	if err := s.Create(ctx, id); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Update(ctx, id, State{Initialized: true, ProtocolVersion: "2025-06-18", ClientCapabilities: []byte(`{"elicitation":{}}`), LogLevel: "debug"}); err != nil {
		t.Fatal(err)
	}
	c := credentials.Credentials{ProjectURL: "https://p.us-east.insforge.app", APIKey: testKey}
	if live, err := s.SaveCreds(ctx, id, c); err != nil || !live {
		t.Fatalf("save: live=%v err=%v", live, err)
	}
	e, found, err := s.Load(ctx, id)
	if err != nil || !found || e.Creds != c || !e.Initialized || e.ProtocolVersion != "2025-06-18" || e.LogLevel != "debug" || string(e.ClientCapabilities) != `{"elicitation":{}}` {
		t.Fatalf("load: %+v found=%v err=%v", e, found, err)
	}
	if n := srv.AssertAbsent(t, testKey); n == 0 {
		t.Fatal("no keys to scan")
	}
	if n, err := s.Count(ctx); err != nil || n != 1 {
		t.Fatalf("count = %d, %v", n, err)
	}

	// Rotation: a store with a new current secret still opens the entry.
	rotated := open(t, srv, nil, secretB, secretA)
	if e, _, err := rotated.Load(ctx, id); err != nil || e.Creds != c || e.Locked {
		t.Fatalf("after rotation: %+v %v", e, err)
	}
	// A store without the old secret cannot: the session is locked.
	var logs bytes.Buffer
	other := open(t, srv, slog.New(slog.NewTextHandler(&logs, nil)), secretB)
	for range 2 {
		if e, found, err := other.Load(ctx, id); err != nil || !found || !e.Locked || e.Creds.Complete() {
			t.Fatalf("without the secret: %+v found=%v err=%v", e, found, err)
		}
	}
	if n := strings.Count(logs.String(), "do not decrypt"); n != 1 {
		t.Fatalf("want one warning, got %d:\n%s", n, logs.String())
	}

	if err := s.Delete(ctx, id); err != nil {
		t.Fatal(err)
	}
	if _, found, _ := s.Load(ctx, id); found {
		t.Fatal("session still found after Delete")
	}
	if live, err := s.SaveCreds(ctx, id, c); err != nil || live {
		t.Fatalf("save into an ended session: live=%v err=%v", live, err)
	}
}

// An entry copied to another session, or altered, does not open.
func TestTamperedEntriesLock(t *testing.T) {
	ctx := context.Background()
	srv := redistest.Start(t)
	s := open(t, srv, nil, secretA)
	a, b := "ifm-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "ifm-bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
	for _, id := range []string{a, b} {
		if err := s.Create(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.SaveCreds(ctx, a, credentials.Credentials{ProjectURL: "https://p.us-east.insforge.app", APIKey: testKey}); err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr})
	defer rdb.Close()
	sealed, err := rdb.HGet(ctx, sessionKey(Hash(a)), "ck").Bytes()
	if err != nil {
		t.Fatal(err)
	}
	rdb.HSet(ctx, sessionKey(Hash(b)), "ck", sealed)
	if e, _, err := s.Load(ctx, b); err != nil || !e.Locked {
		t.Fatalf("replayed under another id: %+v %v", e, err)
	}
	sealed[len(sealed)-1] ^= 1
	rdb.HSet(ctx, sessionKey(Hash(a)), "ck", sealed)
	if e, _, err := s.Load(ctx, a); err != nil || !e.Locked {
		t.Fatalf("altered: %+v %v", e, err)
	}
}

func TestSlotsAreShared(t *testing.T) {
	ctx := context.Background()
	srv := redistest.Start(t)
	s1, s2 := open(t, srv, nil, secretA), open(t, srv, nil, secretA)
	id := "ifm-cccccccccccccccccccccccccccccccc"
	if ok, err := s1.AcquireSlot(ctx, id, 2, time.Minute, "t1"); err != nil || !ok {
		t.Fatal(ok, err)
	}
	if ok, _ := s2.AcquireSlot(ctx, id, 2, time.Minute, "t2"); !ok {
		t.Fatal("second slot refused")
	}
	if ok, _ := s1.AcquireSlot(ctx, id, 2, time.Minute, "t3"); ok {
		t.Fatal("third slot granted over a limit of 2")
	}
	if err := s2.ReleaseSlot(ctx, id, "t2"); err != nil {
		t.Fatal(err)
	}
	if ok, _ := s1.AcquireSlot(ctx, id, 2, time.Minute, "t3"); !ok {
		t.Fatal("slot not freed by release")
	}
	// A lease that ran out (a replica died holding it) frees its slot.
	if ok, _ := s1.AcquireSlot(ctx, "ifm-dddddddddddddddddddddddddddddddd", 1, 10*time.Millisecond, "x"); !ok {
		t.Fatal("refused")
	}
	time.Sleep(20 * time.Millisecond)
	if ok, _ := s1.AcquireSlot(ctx, "ifm-dddddddddddddddddddddddddddddddd", 1, time.Minute, "y"); !ok {
		t.Fatal("expired lease still holds its slot")
	}
}

func TestOpenRefusesUnreachableAndShortSecrets(t *testing.T) {
	if _, err := Open(context.Background(), Options{URL: "redis://127.0.0.1:1/0", Secrets: []string{secretA}}); err == nil || !strings.Contains(err.Error(), "does not answer") {
		t.Fatalf("unreachable: %v", err)
	}
	if _, err := Open(context.Background(), Options{URL: "redis://:hunter2hunter2@127.0.0.1:1/0", Secrets: []string{secretA}}); err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("password in error: %v", err)
	}
	if _, err := ParseSecrets("short\n"); err == nil {
		t.Fatal("short secret accepted")
	}
	if got, err := ParseSecrets(secretB + "\n\n" + secretA + "\n"); err != nil || len(got) != 2 || got[0] != secretB {
		t.Fatalf("secrets: %v %v", got, err)
	}
}

func TestTallyIsShared(t *testing.T) {
	ctx := context.Background()
	srv := redistest.Start(t)
	s1, s2 := open(t, srv, nil, secretA), open(t, srv, nil, secretA)
	for i, s := range []*Store{s1, s2, s1} {
		if n, left, err := s.Tally(ctx, testKey, time.Minute); err != nil || n != int64(i+1) || left <= 0 {
			t.Fatalf("tally %d: %d %s %v", i, n, left, err)
		}
	}
	if n, _, _ := s1.Tally(ctx, "ik_other", time.Minute); n != 1 {
		t.Fatalf("another key: %d", n)
	}
	srv.AssertAbsent(t, testKey)
}
