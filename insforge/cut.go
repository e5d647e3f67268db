package insforge

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
)

// A budgeted client (Client.Budgeted) keeps only about budget bytes of an
// answer that is only to be shown: it reads the body as a stream and stops
// there, instead of holding and decoding all of it. A list (a top-level
// array, or an array that is a field of the top-level object, such as
// {"rows":[...]}) keeps its whole leading items; a raw []byte body keeps
// its first budget bytes. What was cut is recorded on the client, so the
// caller can say so once the tool has rendered its result.

// Cut describes one answer that was cut to the budget.
type Cut struct {
	Method, Path string
	// Field names the cut list ("" for a top-level array or raw bytes).
	Field string
	// Kept is how many items were kept; -1 for raw bytes.
	Kept int
	// Bytes is how many bytes of the answer were kept.
	Bytes int64
}

// cutLog collects the cuts of one budgeted client's calls.
type cutLog struct {
	mu   sync.Mutex
	cuts []Cut
}

func (l *cutLog) add(c Cut) {
	l.mu.Lock()
	l.cuts = append(l.cuts, c)
	l.mu.Unlock()
}

// Budgeted returns a client for the same project whose calls keep at most
// about n bytes of each answer (see Request.Whole for the exceptions), and
// record what they cut (Cuts). n <= 0 returns c unchanged.
func (c *Client) Budgeted(n int64) *Client {
	if n <= 0 {
		return c
	}
	b := *c
	b.budget, b.cuts = n, &cutLog{}
	return &b
}

// Cuts are the answers this client's calls cut to its budget, in order.
func (c *Client) Cuts() []Cut {
	if c == nil || c.cuts == nil {
		return nil
	}
	c.cuts.mu.Lock()
	defer c.cuts.mu.Unlock()
	return append([]Cut(nil), c.cuts.cuts...)
}

// CutNote is one or two sentences for the agent about what Cuts cut and
// how to see the rest; "" when nothing was cut.
func (c *Client) CutNote() string {
	cuts := c.Cuts()
	if len(cuts) == 0 {
		return ""
	}
	var b strings.Builder
	for _, k := range cuts {
		what := "The backend's answer"
		if len(cuts) > 1 {
			what += " to " + k.Method + " " + k.Path
		}
		switch {
		case k.Kept < 0:
			fmt.Fprintf(&b, "%s was larger than this server reads for one result: only its first %d bytes were read. ", what, k.Bytes)
		case k.Field != "":
			fmt.Fprintf(&b, "%s was larger than this server reads for one result: only the first %d items of %q were read, and any fields after it were dropped. ", what, k.Kept, k.Field)
		default:
			fmt.Fprintf(&b, "%s was larger than this server reads for one result: only its first %d items were read. ", what, k.Kept)
		}
	}
	b.WriteString("Ask for less to see the rest: a limit and offset, fewer columns, or a narrower query.")
	return b.String()
}

// errNotCuttable is returned when an answer over the budget has no list
// that could be cut.
var errNotCuttable = errors.New("not a list")

// cutJSON reads a JSON document from r until its end, or until more than
// budget bytes were read. In the second case it returns the document cut
// after the last whole item of its list that fits, closed so that it is
// valid JSON again, with a description of the cut (nil when the whole
// document fitted); errNotCuttable when there is no list to cut. It reads
// at most budget+1 bytes from r.
func cutJSON(r io.Reader, budget int64) ([]byte, *Cut, error) {
	br := bufio.NewReaderSize(io.LimitReader(r, budget+1), 32<<10)
	s := cutScanner{safe: -1}
	out := make([]byte, 0, min(budget+1, 64<<10))
	for {
		c, err := br.ReadByte()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, nil, err
		}
		if int64(len(out)) >= budget {
			if s.safe < 0 {
				return nil, nil, errNotCuttable
			}
			doc := append(out[:s.safe:s.safe], s.closers...)
			return doc, &Cut{Field: s.safeField, Kept: s.safeKept, Bytes: int64(s.safe)}, nil
		}
		s.step(c, len(out), out)
		out = append(out, c)
	}
	return out, nil, nil
}

// cutScanner follows a JSON document's structure a byte at a time, just
// enough to know the last place it can be cut: after a whole item of the
// top-level array, or of an array that is a field of the top-level object.
type cutScanner struct {
	stack    []byte // open containers, '[' or '{'
	inString bool
	escaped  bool
	// In the top-level object: whether a key is expected next, and where
	// the last key started (in out).
	wantKey  bool
	keyStart int
	key      string
	// The list being followed: its depth (len(stack) inside it, 0 for
	// none), its field, the items seen, whether one is under way.
	listDepth int
	listField string
	items     int
	inItem    bool
	// The last safe cut: the length of out to keep (-1: none yet), what
	// closes the document there, the list's field and items kept.
	safe      int
	closers   string
	safeField string
	safeKept  int
}

// step takes byte c, about to be appended to out at position at.
func (s *cutScanner) step(c byte, at int, out []byte) {
	if s.inString {
		switch {
		case s.escaped:
			s.escaped = false
		case c == '\\':
			s.escaped = true
		case c == '"':
			s.inString = false
			if len(s.stack) == 1 && s.stack[0] == '{' && s.wantKey {
				_ = json.Unmarshal(append(out[s.keyStart:at:at], '"'), &s.key)
			}
		}
		return
	}
	depth := len(s.stack)
	if s.listDepth > 0 && depth == s.listDepth && !s.inItem && c != ' ' && c != '\t' && c != '\n' && c != '\r' && c != ',' && c != ']' {
		s.inItem = true
	}
	switch c {
	case '"':
		s.inString = true
		if depth == 1 && s.stack[0] == '{' && s.wantKey {
			s.keyStart = at
		}
	case '[', '{':
		s.stack = append(s.stack, c)
		if c == '{' && len(s.stack) == 1 {
			s.wantKey = true
		}
		if c == '[' && s.listDepth == 0 && (depth == 0 || (depth == 1 && s.stack[0] == '{')) {
			s.listDepth, s.items, s.inItem = len(s.stack), 0, false
			s.listField = ""
			if depth == 1 {
				s.listField = s.key
			}
			s.mark(at+1, 0)
		}
	case ']', '}':
		if depth == s.listDepth && c == ']' {
			if s.inItem {
				s.items++
			}
			s.mark(at, s.items) // every item, but what follows can still be cut off
			s.listDepth = -1    // follow only the first list
		}
		if depth > 0 {
			s.stack = s.stack[:depth-1]
		}
	case ',':
		if depth == s.listDepth {
			s.items++
			s.inItem = false
			s.mark(at, s.items)
		}
		if depth == 1 && s.stack[0] == '{' {
			s.wantKey = true
		}
	case ':':
		if depth == 1 && s.stack[0] == '{' {
			s.wantKey = false
		}
	}
}

// mark records a safe cut: keep out[:at], then close the list and the
// containers around it.
func (s *cutScanner) mark(at, kept int) {
	s.safe, s.safeKept, s.safeField = at, kept, s.listField
	var b strings.Builder
	b.WriteByte(']')
	for i := len(s.stack) - 2; i >= 0; i-- {
		b.WriteByte(map[byte]byte{'[': ']', '{': '}'}[s.stack[i]])
	}
	s.closers = b.String()
}
