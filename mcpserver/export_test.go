package mcpserver

// Test hooks for the external test package.

type SessionIDs = sessionIDs

func NewSessionIDsForTest() *SessionIDs { return newSessionIDs() }

func LiveSessionIDs(m *SessionIDs) int { return m.count() }

// StoredCredentials counts the sessions holding connect-project credentials.
func StoredCredentials(s *Server) int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.sessions)
}
