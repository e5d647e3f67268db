package mcpserver

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"
)

// sessionIDs issues streamable HTTP session ids and remembers only the live
// ones. mcp-go's stateful manager also keeps every ended id forever, a slow
// leak on a long-running hosted server. Here a well-formed id that is not
// live is answered as terminated (HTTP 404), which tells the client to start
// a new session, whether it ended a second or a month ago.
type sessionIDs struct {
	mu   sync.Mutex
	live map[string]struct{}
}

const sessionIDPrefix = "ifm-"

func newSessionIDs() *sessionIDs { return &sessionIDs{live: map[string]struct{}{}} }

func (m *sessionIDs) Generate() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("crypto/rand: %v", err)) // never happens on supported platforms
	}
	id := sessionIDPrefix + hex.EncodeToString(b[:])
	m.mu.Lock()
	m.live[id] = struct{}{}
	m.mu.Unlock()
	return id
}

func (m *sessionIDs) Validate(id string) (isTerminated bool, err error) {
	rest, ok := strings.CutPrefix(id, sessionIDPrefix)
	if !ok || len(rest) != 32 {
		return false, fmt.Errorf("invalid session id")
	}
	if _, err := hex.DecodeString(rest); err != nil {
		return false, fmt.Errorf("invalid session id")
	}
	m.mu.Lock()
	_, live := m.live[id]
	m.mu.Unlock()
	return !live, nil
}

func (m *sessionIDs) Terminate(id string) (isNotAllowed bool, err error) {
	m.mu.Lock()
	delete(m.live, id)
	m.mu.Unlock()
	return false, nil
}

func (m *sessionIDs) count() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.live)
}
