package tools

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"

	"github.com/insforge-mcp/insforge-mcp/credentials"
	"github.com/insforge-mcp/insforge-mcp/insforge"
)

// Env is what a handler gets besides its arguments.
type Env struct {
	// Client talks to the connected project. It is nil only for Open tools
	// called before any project is connected.
	Client *insforge.Client
	// Transport makes clients for other credentials (connect-project).
	Transport *insforge.Transport
	// Config holds the server-wide settings.
	Config Config
	// Surface is what this server serves (find-tools searches it).
	Surface *Surface
	// Session controls this client's connection state (the gate).
	Session Session
	// Progress reports progress of a long call to the client when it asked
	// for it (a progress token); otherwise it does nothing. Never nil.
	Progress func(progress, total float64, message string)
	// FilesTenant names the caller's own subdirectory of Config.FilesRoot
	// (FilesDir), the only one its local paths may reach; empty when the
	// call has no project. Set on the HTTP transports only.
	FilesTenant string
}

// FilesDir names the subdirectory of --files-root that belongs to the
// holder of one project URL and API key: a digest of the two, so that no
// other key reaches it and the name reveals neither. Tenants of a hosted
// server each act with their own key; sessions acting with the same key
// act on the same project, and share its directory across reconnects and
// on protocols without sessions.
func FilesDir(c credentials.Credentials) string {
	sum := sha256.Sum256([]byte("insforge-mcp files\x00" + c.ProjectURL + "\x00" + c.APIKey))
	return "k-" + hex.EncodeToString(sum[:16])
}

// Config is the server-wide behaviour a handler may depend on.
type Config struct {
	// ReadOnly is set by --read-only: write tools are not served, and tools
	// with EnforcesReadOnly refuse writes themselves.
	ReadOnly bool
	// MaxResultBytes caps the text of one result (0 = no cap).
	MaxResultBytes int
	// Remote is set on the HTTP transports: the client may run on another
	// machine, and is whoever can reach the server. Tools that read or write
	// local files refuse there unless FilesRoot is set (see localPath).
	Remote bool
	// FilesRoot is the directory under which remote clients may read and
	// write (--files-root), each in its own subdirectory (Env.FilesTenant);
	// empty: none.
	FilesRoot string
}

// Session is the gate as seen by a tool: it belongs to one MCP session (or,
// on a protocol without sessions, to one request).
type Session interface {
	// Connect validates c and, when it succeeds, makes it this session's
	// project. remember also saves it to the credentials file.
	Connect(ctx context.Context, c credentials.Credentials, remember bool) (ConnectOutcome, error)
	// ConnectInteractive asks the user for the URL and key out of band (a
	// one-time local page opened through the client), so the key never
	// passes through the model. It returns ErrNoInteractiveConnect when the
	// client or transport cannot do that.
	ConnectInteractive(ctx context.Context) (ConnectOutcome, error)
	// Disconnect forgets this session's credentials; forget also deletes the
	// saved credentials file.
	Disconnect(ctx context.Context, forget bool) (DisconnectOutcome, error)
}

// ErrNoInteractiveConnect means the out-of-band connect flow is unavailable.
var ErrNoInteractiveConnect = errors.New("interactive connect unavailable")

// ConnectOutcome says what a successful Connect changed.
type ConnectOutcome struct {
	ProjectURL string
	// Persistent is false when the connection cannot outlive this request
	// (a protocol without sessions): the client must send credentials on
	// every request instead.
	Persistent bool
	Saved      string // file the credentials were saved to, if any
	NotSaved   string // why remember=true did not save, if it did not
	Unlocked   int    // number of tools this session can now use
}

// DisconnectOutcome says what Disconnect changed.
type DisconnectOutcome struct {
	WasConnected bool
	Deleted      string // the credentials file that was deleted, if any
	// Saved is the saved credentials file that is still there (forget was
	// not asked), which the server reads at its next start.
	Saved string
	// StillConfigured is set when the server's own configuration still
	// provides credentials after the session's were forgotten.
	StillConfigured bool
}
