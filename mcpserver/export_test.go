package mcpserver

// Test hooks for the external test package.

type SessionIDs = sessionIDs

func NewSessionIDsForTest() *SessionIDs { return newSessionIDs() }

func LiveSessionIDs(m *SessionIDs) int { return m.count() }
