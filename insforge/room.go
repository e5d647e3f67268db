package insforge

import (
	"context"
	"fmt"
	"io"

	"golang.org/x/sync/semaphore"
)

// hold takes n of sem's weight (at most its size, max), waiting while ctx
// lasts; it returns the release function.
func hold(ctx context.Context, sem *semaphore.Weighted, n, size int64) (func(), error) {
	if sem == nil {
		return func() {}, nil
	}
	n = max(min(n, size), 1)
	if err := sem.Acquire(ctx, n); err != nil {
		return nil, err
	}
	return func() { sem.Release(n) }, nil
}

// roomStep is how much room a whole read takes at a time.
const roomStep = 1 << 20

// meteredReader reads an answer's body within the transport's buffered
// bytes (Options.MaxBufferedBytes): it holds room for every byte it
// returns, taken in steps as the bytes arrive (or at once, reserve),
// waiting while ctx lasts. release gives it all back.
type meteredReader struct {
	r    io.Reader
	ctx  context.Context
	sem  *semaphore.Weighted // nil: unbounded
	size int64               // the semaphore's size
	// expect is the body's announced length (-1: unknown): no step takes
	// room beyond it (a byte more, to see the end).
	expect int64
	held   int64
	used   int64
}

// errNoRoom is a read that could not get room before its context ended,
// or that needs more than the whole room.
type errNoRoom struct{ err error }

func (e errNoRoom) Error() string { return e.err.Error() }
func (e errNoRoom) Unwrap() error { return e.err }

// reserve takes room for n more bytes.
func (m *meteredReader) reserve(n int64) error {
	if m.sem == nil {
		m.held += n
		return nil
	}
	if m.held+n > m.size {
		return errNoRoom{fmt.Errorf("the answer needs more than the %d bytes this server holds for all answers together (--max-buffered-bytes)", m.size)}
	}
	if err := m.sem.Acquire(m.ctx, n); err != nil {
		return errNoRoom{err}
	}
	m.held += n
	return nil
}

func (m *meteredReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if m.used == m.held {
		step := int64(roomStep)
		if m.expect >= 0 {
			step = min(step, max(m.expect-m.held, 1))
		}
		if m.sem != nil {
			step = min(step, m.size-m.held)
		}
		if err := m.reserve(max(step, 1)); err != nil {
			return 0, err
		}
	}
	p = p[:min(int64(len(p)), m.held-m.used)]
	n, err := m.r.Read(p)
	m.used += int64(n)
	return n, err
}

// release gives back all the room held.
func (m *meteredReader) release() {
	if m.sem != nil && m.held > 0 {
		m.sem.Release(m.held)
	}
	m.held, m.used = 0, 0
}

// noRoom is the error of a call that got no room to read its answer.
func noRoom(req *Request, err error) error {
	return fmt.Errorf("%s %s: no room to read the answer (this server holds as many answers in memory at once as it may): %w", req.Method, req.Path, err)
}
