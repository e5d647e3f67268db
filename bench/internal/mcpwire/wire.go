// Package mcpwire is a minimal MCP client for the benchmark driver and the
// load run: JSON-RPC over stdio (one message per line) and over streamable
// HTTP (JSON or SSE answers), keeping the raw bytes of every answer so that
// sizes can be reported. It does only what measuring needs; it is not a
// general client.
package mcpwire

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
)

// ProtocolVersion is the MCP revision the client asks for.
const ProtocolVersion = "2025-06-18"

// Response is one JSON-RPC answer.
type Response struct {
	// Raw is the whole JSON-RPC message as received (one line on stdio,
	// the body or the SSE data on HTTP).
	Raw    []byte
	Result json.RawMessage
	Error  *RPCError
}

// RPCError is a JSON-RPC error object.
type RPCError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

func (e *RPCError) Error() string { return fmt.Sprintf("JSON-RPC error %d: %s", e.Code, e.Message) }

// Err returns the JSON-RPC error of the answer, if any.
func (r Response) Err() error {
	if r.Error != nil {
		return r.Error
	}
	return nil
}

// Conn is an MCP connection.
type Conn interface {
	// Call sends a request and waits for its answer.
	Call(ctx context.Context, method string, params any) (Response, error)
	// Notify sends a notification.
	Notify(ctx context.Context, method string, params any) error
	// Close ends the connection (stdio: closes the server's input; HTTP:
	// deletes the session).
	Close() error
}

// message is any JSON-RPC message.
type message struct {
	JSONRPC string          `json:"jsonrpc"`
	ID      json.RawMessage `json:"id,omitempty"`
	Method  string          `json:"method,omitempty"`
	Params  any             `json:"params,omitempty"`
	Result  json.RawMessage `json:"result,omitempty"`
	Error   *RPCError       `json:"error,omitempty"`
}

func encodeRequest(id int64, method string, params any) ([]byte, error) {
	m := map[string]any{"jsonrpc": "2.0", "method": method}
	if id > 0 {
		m["id"] = id
	}
	if params != nil {
		m["params"] = params
	}
	return json.Marshal(m)
}

// InitializeParams are the parameters of an initialize request.
func InitializeParams(clientName string) map[string]any {
	return map[string]any{
		"protocolVersion": ProtocolVersion,
		"capabilities":    map[string]any{},
		"clientInfo":      map[string]any{"name": clientName, "version": "1.0.0"},
	}
}

// Initialize runs the handshake: initialize, then notifications/initialized.
func Initialize(ctx context.Context, c Conn, clientName string) (Response, error) {
	resp, err := c.Call(ctx, "initialize", InitializeParams(clientName))
	if err != nil {
		return resp, err
	}
	if err := resp.Err(); err != nil {
		return resp, err
	}
	return resp, c.Notify(ctx, "notifications/initialized", nil)
}

// ToolResult is the part of a tools/call result the benchmarks check.
type ToolResult struct {
	IsError bool `json:"isError"`
	Content []struct {
		Type string `json:"type"`
		Text string `json:"text"`
	} `json:"content"`
}

// Text joins the text content.
func (t ToolResult) Text() string {
	var b strings.Builder
	for _, c := range t.Content {
		if c.Type == "text" {
			b.WriteString(c.Text)
		}
	}
	return b.String()
}

// CallTool calls a tool and decodes its result; a tool-level error
// (isError) is returned as an error with the tool's text.
func CallTool(ctx context.Context, c Conn, name string, args map[string]any) (Response, ToolResult, error) {
	if args == nil {
		args = map[string]any{}
	}
	resp, err := c.Call(ctx, "tools/call", map[string]any{"name": name, "arguments": args})
	if err != nil {
		return resp, ToolResult{}, err
	}
	if err := resp.Err(); err != nil {
		return resp, ToolResult{}, err
	}
	var tr ToolResult
	if err := json.Unmarshal(resp.Result, &tr); err != nil {
		return resp, tr, fmt.Errorf("decode tools/call result: %w", err)
	}
	if tr.IsError {
		text := tr.Text()
		if len(text) > 300 {
			text = text[:300] + "…"
		}
		return resp, tr, fmt.Errorf("%s answered isError: %s", name, text)
	}
	return resp, tr, nil
}

// ListTools lists tools and returns their names.
func ListTools(ctx context.Context, c Conn) (Response, []string, error) {
	resp, err := c.Call(ctx, "tools/list", map[string]any{})
	if err != nil {
		return resp, nil, err
	}
	if err := resp.Err(); err != nil {
		return resp, nil, err
	}
	var out struct {
		Tools []struct {
			Name string `json:"name"`
		} `json:"tools"`
	}
	if err := json.Unmarshal(resp.Result, &out); err != nil {
		return resp, nil, fmt.Errorf("decode tools/list result: %w", err)
	}
	names := make([]string, len(out.Tools))
	for i, t := range out.Tools {
		names[i] = t.Name
	}
	return resp, names, nil
}

// Stdio speaks MCP to a server over its standard input and output.
type Stdio struct {
	in     io.WriteCloser
	lines  chan []byte
	done   chan struct{}
	closed sync.Once
	readMu sync.Mutex
	err    error // set when lines is closed
	mu     sync.Mutex
	nextID int64
}

// NewStdio reads out (the server's stdout) in the background.
func NewStdio(in io.WriteCloser, out io.Reader) *Stdio {
	s := &Stdio{in: in, lines: make(chan []byte, 16), done: make(chan struct{})}
	go func() {
		r := bufio.NewReaderSize(out, 64<<10)
		for {
			line, err := r.ReadBytes('\n')
			if len(bytes.TrimSpace(line)) > 0 {
				select {
				case s.lines <- line:
				case <-s.done:
					return
				}
			}
			if err != nil {
				s.readMu.Lock()
				s.err = err
				s.readMu.Unlock()
				close(s.lines)
				return
			}
		}
	}()
	return s
}

func (s *Stdio) write(data []byte) error {
	_, err := s.in.Write(append(data, '\n'))
	return err
}

// Call implements Conn. Calls are serialised.
func (s *Stdio) Call(ctx context.Context, method string, params any) (Response, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextID++
	id := s.nextID
	data, err := encodeRequest(id, method, params)
	if err != nil {
		return Response{}, err
	}
	if err := s.write(data); err != nil {
		return Response{}, fmt.Errorf("write %s: %w", method, err)
	}
	want := fmt.Sprint(id)
	for {
		select {
		case <-ctx.Done():
			return Response{}, fmt.Errorf("%s: %w", method, ctx.Err())
		case line, ok := <-s.lines:
			if !ok {
				s.readMu.Lock()
				err := s.err
				s.readMu.Unlock()
				return Response{}, fmt.Errorf("%s: server output ended: %w", method, err)
			}
			var m message
			if json.Unmarshal(line, &m) != nil {
				continue // not JSON-RPC (a stray log line)
			}
			if m.Method != "" {
				if len(m.ID) > 0 {
					s.refuse(m.ID) // a server-to-client request
				}
				continue // a notification
			}
			if string(m.ID) != want {
				continue
			}
			return Response{Raw: bytes.TrimRight(line, "\r\n"), Result: m.Result, Error: m.Error}, nil
		}
	}
}

// refuse answers a server-to-client request (ping excepted) with "method
// not found": the benchmark client declares no capabilities.
func (s *Stdio) refuse(id json.RawMessage) {
	data, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": id, "error": map[string]any{"code": -32601, "message": "not supported by the benchmark client"}})
	_ = s.write(data)
}

// Notify implements Conn.
func (s *Stdio) Notify(ctx context.Context, method string, params any) error {
	data, err := encodeRequest(0, method, params)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.write(data)
}

// Close implements Conn: it closes the server's input, which ends a stdio
// server.
func (s *Stdio) Close() error {
	s.closed.Do(func() { close(s.done) })
	return s.in.Close()
}

// HTTP speaks MCP over streamable HTTP: one POST per message, the session
// id from the initialize answer on every later request.
type HTTP struct {
	URL    string
	Client *http.Client
	// Header is added to every request (e.g. Authorization).
	Header http.Header

	nextID  atomic.Int64
	mu      sync.Mutex
	session string
}

// NewHTTP returns a client of the endpoint url (…/mcp).
func NewHTTP(url string, client *http.Client) *HTTP {
	if client == nil {
		client = http.DefaultClient
	}
	return &HTTP{URL: url, Client: client}
}

// SessionID is the session id the server assigned ("" before initialize).
func (h *HTTP) SessionID() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.session
}

func (h *HTTP) newRequest(ctx context.Context, method string, body []byte) (*http.Request, error) {
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, h.URL, r)
	if err != nil {
		return nil, err
	}
	for k, v := range h.Header {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	if sid := h.SessionID(); sid != "" {
		req.Header.Set("Mcp-Session-Id", sid)
		req.Header.Set("Mcp-Protocol-Version", ProtocolVersion)
	}
	return req, nil
}

// ErrStatus is returned for an HTTP answer that is not a success.
type ErrStatus struct {
	Status int
	Body   string
}

func (e *ErrStatus) Error() string { return fmt.Sprintf("HTTP %d: %s", e.Status, e.Body) }

// Call implements Conn.
func (h *HTTP) Call(ctx context.Context, method string, params any) (Response, error) {
	id := h.nextID.Add(1)
	data, err := encodeRequest(id, method, params)
	if err != nil {
		return Response{}, err
	}
	req, err := h.newRequest(ctx, http.MethodPost, data)
	if err != nil {
		return Response{}, err
	}
	res, err := h.Client.Do(req)
	if err != nil {
		return Response{}, err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(res.Body, 1024))
		return Response{}, &ErrStatus{Status: res.StatusCode, Body: strings.TrimSpace(string(body))}
	}
	if sid := res.Header.Get("Mcp-Session-Id"); sid != "" && method == "initialize" {
		h.mu.Lock()
		h.session = sid
		h.mu.Unlock()
	}
	want := fmt.Sprint(id)
	mt, _, _ := mime.ParseMediaType(res.Header.Get("Content-Type"))
	if mt != "text/event-stream" {
		body, err := io.ReadAll(res.Body)
		if err != nil {
			return Response{}, err
		}
		return decodeAnswer(body, want)
	}
	// An SSE answer: notifications (progress, logs) may come before it.
	r := bufio.NewReaderSize(res.Body, 32<<10)
	var event []byte
	for {
		line, err := r.ReadBytes('\n')
		trimmed := bytes.TrimRight(line, "\r\n")
		switch {
		case bytes.HasPrefix(trimmed, []byte("data:")):
			event = append(event, bytes.TrimPrefix(bytes.TrimPrefix(trimmed, []byte("data:")), []byte(" "))...)
		case len(trimmed) == 0 && len(event) > 0:
			if resp, derr := decodeAnswer(event, want); derr == nil {
				return resp, nil
			}
			event = event[:0]
		}
		if err != nil {
			if len(event) > 0 {
				return decodeAnswer(event, want)
			}
			return Response{}, fmt.Errorf("%s: event stream ended without an answer: %w", method, err)
		}
	}
}

var errNotAnswer = errors.New("not the awaited answer")

func decodeAnswer(body []byte, want string) (Response, error) {
	var m message
	if err := json.Unmarshal(body, &m); err != nil {
		return Response{}, fmt.Errorf("decode answer: %w", err)
	}
	if m.Method != "" || string(m.ID) != want {
		return Response{}, errNotAnswer
	}
	return Response{Raw: bytes.Clone(body), Result: m.Result, Error: m.Error}, nil
}

// Notify implements Conn.
func (h *HTTP) Notify(ctx context.Context, method string, params any) error {
	data, err := encodeRequest(0, method, params)
	if err != nil {
		return err
	}
	status, err := h.exchange(ctx, http.MethodPost, data)
	if err != nil {
		return err
	}
	if status != http.StatusAccepted && status != http.StatusOK {
		return &ErrStatus{Status: status}
	}
	return nil
}

// exchange sends a request whose answer has no body of interest and
// returns its status, having drained and closed the body.
func (h *HTTP) exchange(ctx context.Context, method string, data []byte) (int, error) {
	req, err := h.newRequest(ctx, method, data)
	if err != nil {
		return 0, err
	}
	res, err := h.Client.Do(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode, nil
}

// Close implements Conn: it deletes the session.
func (h *HTTP) Close() error {
	if h.SessionID() == "" {
		return nil
	}
	status, err := h.exchange(context.Background(), http.MethodDelete, nil)
	if err != nil {
		return err
	}
	if status/100 != 2 {
		return &ErrStatus{Status: status}
	}
	return nil
}
