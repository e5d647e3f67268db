package mcpserver

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
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

// newSessionID is a fresh random session id.
func newSessionID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("crypto/rand: %v", err)) // never happens on supported platforms
	}
	return sessionIDPrefix + hex.EncodeToString(b[:])
}

var errInvalidSessionID = errors.New("invalid session id")

func (m *sessionIDs) Generate() string {
	id := newSessionID()
	m.mu.Lock()
	m.live[id] = struct{}{}
	m.mu.Unlock()
	return id
}

func (m *sessionIDs) Validate(id string) (isTerminated bool, err error) {
	if err := checkSessionID(id); err != nil {
		return false, err
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
