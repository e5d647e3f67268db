package mcpserver

import (
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// pipeBacklog returns a count of the bytes written to w that its reader
// has not read yet, when w is a pipe or a Unix socket (Node.js gives a
// child process a socket pair), or nil.
func pipeBacklog(w io.Writer) func() int {
	f, ok := w.(*os.File)
	if !ok {
		return nil
	}
	st, err := f.Stat()
	if err != nil {
		return nil
	}
	var req uint
	switch {
	case st.Mode()&os.ModeNamedPipe != 0:
		req = unix.TIOCINQ // FIONREAD: unread bytes in the pipe
	case st.Mode()&os.ModeSocket != 0:
		req = unix.TIOCOUTQ // SIOCOUTQ: sent bytes the peer has not consumed
	default:
		return nil
	}
	conn, err := f.SyscallConn()
	if err != nil {
		return nil
	}
	return func() int {
		n := 0
		_ = conn.Control(func(fd uintptr) {
			n, _ = unix.IoctlGetInt(int(fd), req)
		})
		return n
	}
}
