// Package insforge is a small client for the InsForge admin HTTP API.
//
// A Transport holds what every project shares (connection pool, timeouts,
// retry policy); a Client binds a Transport to one project URL and admin API
// key. Clients are cheap values: a server that serves many sessions makes one
// per credential pair without opening new connection pools.
//
// Every request goes through Call, which sends it, retries it when the
// policy allows, and decodes the answer once, straight from the response
// stream. Paging (Content-Range), backend errors and body limits live there
// and nowhere else.
//
// The client is plain net/http. An earlier version built requests with
// resty next to its own retry loop; resty's retry conditions cannot see
// whether a 502/503 came from the backend itself (a JSON answer, final) or
// from a proxy (an HTML page, worth another try) without reading the body,
// it buffers io.Reader bodies that uploads must stream, and its body limit
// does not apply to streamed responses. One small loop here does all three.
//
// The API key is sent only in the Authorization header. It never appears in
// an error, a log line or a URL produced by this package.
package insforge

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sync/semaphore"

	"github.com/insforge-mcp/insforge-mcp/clientlog"
)

// Options configure a Transport. Zero values get sensible defaults.
type Options struct {
	// Timeout bounds one call, retries included (default 30s).
	Timeout time.Duration
	// MaxRetries is how often an idempotent request is retried on 429, 502,
	// 503, 504 or a connection error (default 2; negative disables).
	MaxRetries int
	// RetryWait is the first backoff step; it doubles per attempt (default 300ms).
	RetryWait time.Duration
	// MaxRetryAfter caps how long a Retry-After header can make us wait (default 10s).
	MaxRetryAfter time.Duration
	// MaxResponseBytes caps how much of a response body is read (default
	// 32 MiB) when the whole answer is needed: by a client without a
	// budget (Client.Budgeted), or a Request.Whole.
	MaxResponseBytes int64
	// MaxConcurrentRequests bounds the backend requests in flight at once
	// through this transport, every client together (default 64;
	// negative: no bound). A call beyond it waits while its context lasts.
	MaxConcurrentRequests int
	// MaxBufferedBytes bounds the answer bytes held in memory at once
	// through this transport, every client together (default 64 MiB;
	// negative: no bound). A budgeted call reserves its budget before
	// reading; a whole read takes room as its bytes arrive, a MiB at a
	// time (so an answer that announces much and sends little holds
	// little). Room is held until the answer is decoded; a call without
	// room waits while its context lasts, and an answer that needs more
	// than all of it fails.
	MaxBufferedBytes int64
	// UserAgent is sent on every request.
	UserAgent string
	// HTTPClient replaces the default client (tests). Its redirect policy
	// is replaced by the transport's own.
	HTTPClient *http.Client
	// Logger receives one debug line per request (method, path, status, time).
	Logger *slog.Logger
	// DialGuard, when set, is asked before every connection the transport
	// opens: host and port as the URL names them, ip the address about to
	// be dialled, after DNS resolution and on every attempt (a net.Dialer
	// Control hook, so a name whose answer changes between lookups is
	// judged by the address actually used). An error refuses the
	// connection before anything is sent, and the call fails with
	// ErrAddressRefused. It covers everything this transport sends:
	// project calls, their redirects, and absolute Request.URLs the backend
	// handed out. It applies to the default client and to an HTTPClient
	// whose Transport is an *http.Transport (or nil). With a proxy it
	// judges the proxy's address, and a target given as an IP address
	// before the proxy is asked for it; the proxy resolves names. The server sets it over HTTP transports from
	// --allowed-project-hosts (credentials.HostPolicy.DialGuard); over
	// stdio it is unset.
	DialGuard func(host, port string, ip netip.Addr) error
	// Resolve, when set, replaces DNS for host names (tests: a name that
	// resolves to loopback, without editing /etc/hosts). The guard still
	// judges every address it returns.
	Resolve func(ctx context.Context, host string) ([]netip.Addr, error)
}

// ErrAddressRefused is wrapped by the error of a call whose connection
// the DialGuard refused. Such a call is not retried.
var ErrAddressRefused = errors.New("address refused")

// refusedDial is a DialGuard verdict on its way up through net and
// net/http's error wrappers.
type refusedDial struct{ err error }

func (r refusedDial) Error() string        { return r.err.Error() }
func (r refusedDial) Is(target error) bool { return target == ErrAddressRefused }

func (o Options) withDefaults() Options {
	if o.Timeout <= 0 {
		o.Timeout = 30 * time.Second
	}
	if o.MaxRetries == 0 {
		o.MaxRetries = 2
	}
	if o.MaxRetries < 0 {
		o.MaxRetries = 0
	}
	if o.RetryWait <= 0 {
		o.RetryWait = 300 * time.Millisecond
	}
	if o.MaxRetryAfter <= 0 {
		o.MaxRetryAfter = 10 * time.Second
	}
	if o.MaxResponseBytes <= 0 {
		o.MaxResponseBytes = 32 << 20
	}
	if o.MaxConcurrentRequests == 0 {
		o.MaxConcurrentRequests = 64
	}
	if o.MaxBufferedBytes == 0 {
		o.MaxBufferedBytes = 64 << 20
	}
	if o.UserAgent == "" {
		o.UserAgent = "insforge-mcp"
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

// maxErrorBody caps what is read of an error answer: enough for any JSON
// error the backend writes, never a whole HTML page.
const maxErrorBody = 64 << 10

// Transport is the shared HTTP machinery behind every Client.
type Transport struct {
	hc   *http.Client
	opts Options
	// inFlight and buffered hold MaxConcurrentRequests and
	// MaxBufferedBytes; nil when unbounded.
	inFlight *semaphore.Weighted
	buffered *semaphore.Weighted
}

// NewTransport builds a Transport. It is safe for concurrent use.
func NewTransport(opts Options) *Transport {
	opts = opts.withDefaults()
	var hc http.Client
	if opts.HTTPClient != nil {
		hc = *opts.HTTPClient
	} else {
		t := http.DefaultTransport.(*http.Transport).Clone()
		// Many sessions share one backend host: keep enough idle
		// connections to reuse them instead of churning sockets.
		t.MaxIdleConns = 256
		t.MaxIdleConnsPerHost = 64
		hc.Transport = t
	}
	if opts.DialGuard != nil || opts.Resolve != nil {
		base, ok := hc.Transport.(*http.Transport)
		if hc.Transport == nil {
			base, ok = http.DefaultTransport.(*http.Transport), true
		}
		if ok {
			t := base.Clone()
			t.DialContext = guardedDial(opts.DialGuard, opts.Resolve)
			t.DialTLSContext = nil // TLS then runs over the guarded connection
			if t.Proxy != nil && opts.DialGuard != nil {
				t.Proxy = guardedProxy(t.Proxy, opts.DialGuard)
			}
			hc.Transport = t
		}
	}
	// Follow redirects only within the same host: the admin key must never
	// travel to a host the user did not name.
	hc.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if len(via) >= 5 {
			return errors.New("stopped after 5 redirects")
		}
		if req.URL.Host != via[0].URL.Host {
			return fmt.Errorf("refused to follow a redirect to another host (%s)", req.URL.Host)
		}
		return nil
	}
	t := &Transport{hc: &hc, opts: opts}
	if opts.MaxConcurrentRequests > 0 {
		t.inFlight = semaphore.NewWeighted(int64(opts.MaxConcurrentRequests))
	}
	if opts.MaxBufferedBytes > 0 {
		t.buffered = semaphore.NewWeighted(opts.MaxBufferedBytes)
	}
	return t
}

// guardedDial returns a DialContext that asks guard about every address
// it connects to, in the dialer's Control hook: after resolution, before
// the connection is attempted.
func guardedDial(guard func(host, port string, ip netip.Addr) error, resolve func(context.Context, string) ([]netip.Addr, error)) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, port, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, err
		}
		d := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}
		if guard != nil {
			d.Control = func(_, address string, _ syscall.RawConn) error {
				ap, err := netip.ParseAddrPort(address)
				if err != nil {
					return refusedDial{fmt.Errorf("cannot judge the address %s", address)}
				}
				if err := guard(host, port, ap.Addr()); err != nil {
					return refusedDial{err}
				}
				return nil
			}
		}
		if _, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil || resolve == nil {
			return d.DialContext(ctx, network, addr)
		}
		ips, err := resolve(ctx, host)
		if err != nil {
			return nil, &net.DNSError{Err: err.Error(), Name: host}
		}
		if len(ips) == 0 {
			return nil, &net.DNSError{Err: "no addresses", Name: host, IsNotFound: true}
		}
		var first error
		for _, ip := range ips {
			c, err := d.DialContext(ctx, network, net.JoinHostPort(ip.String(), port))
			if err == nil {
				return c, nil
			}
			if first == nil {
				first = err
			}
		}
		return nil, first
	}
}

// guardedProxy wraps a proxy choice: through a proxy the dial guard sees
// the proxy's address, and the proxy resolves the target's name, so a
// target given as an IP address is judged here before the proxy is asked
// to reach it.
func guardedProxy(proxy func(*http.Request) (*url.URL, error), guard func(host, port string, ip netip.Addr) error) func(*http.Request) (*url.URL, error) {
	return func(r *http.Request) (*url.URL, error) {
		p, err := proxy(r)
		if err != nil || p == nil {
			return p, err
		}
		if ip, err := netip.ParseAddr(strings.Trim(r.URL.Hostname(), "[]")); err == nil {
			port := r.URL.Port()
			if port == "" {
				port = map[bool]string{true: "443", false: "80"}[r.URL.Scheme == "https"]
			}
			if err := guard(r.URL.Hostname(), port, ip); err != nil {
				return nil, refusedDial{err}
			}
		}
		return p, nil
	}
}

// Client binds the transport to one project.
func (t *Transport) Client(baseURL, apiKey string) *Client {
	return &Client{t: t, base: strings.TrimRight(baseURL, "/"), key: apiKey}
}

// Client calls one InsForge project with its admin key.
type Client struct {
	t    *Transport
	base string
	key  string
	// budget, when positive, is how much of an answer calls keep (cut.go);
	// cuts records what they cut.
	budget int64
	cuts   *cutLog
}

// BaseURL is the project URL this client talks to (no trailing slash).
func (c *Client) BaseURL() string { return c.base }

// Request describes one API call.
type Request struct {
	Method string // default GET
	// Path starts with "/", for example "/api/metadata". Callers escape
	// user-supplied segments with url.PathEscape.
	Path   string
	Query  url.Values
	Header http.Header
	// Body is JSON-encoded unless it is a []byte, string or json.RawMessage,
	// which are sent as they are with ContentType.
	Body any
	// Open, when set, supplies a streamed body instead of Body (uploads). It
	// is called once per attempt, so a retried request sends the stream
	// again from its start.
	Open        func() (io.ReadCloser, error)
	ContentType string
	// ContentLength of a streamed body, when known (sent instead of chunked).
	ContentLength int64
	// Idempotent allows retries for methods other than GET/HEAD/OPTIONS.
	Idempotent bool
	// NoRetry disables retries even for GET (calls into user code).
	NoRetry bool
	// Retries replaces the transport's MaxRetries when positive.
	Retries int
	// RetryWait, when positive, is the wait before each retry in place of
	// the transport's exponential backoff (a Retry-After still wins).
	RetryWait time.Duration
	// RetryIf also retries an answered request when it reports true (for
	// example PostgREST's "no such table" while its schema cache reloads).
	// It applies to any method.
	RetryIf func(*Error) bool
	// AnyStatus makes every HTTP answer a success, decoded like a 2xx: the
	// caller reads Response.Status (function invocation, where the status
	// is the function's own).
	AnyStatus bool
	// NoAuth omits the API key (public endpoints, function invocation).
	NoAuth bool
	// URL, when set, is an absolute URL used instead of the project URL plus
	// Path (presigned storage or deployment uploads). The API key is sent
	// only when its scheme and host are the project's own.
	URL string
	// Sink, when set, receives a successful response body as it streams
	// (downloads): it is not held in memory and not capped.
	Sink io.Writer
	// Timeout replaces the transport's per-call timeout (long transfers).
	Timeout time.Duration
	// Whole reads the whole answer, up to MaxResponseBytes, even through a
	// budgeted client: for a caller that needs all of it to work, not only
	// to show it. An answer over the cap is an error.
	Whole bool
}

// Response is what is left of a successful (2xx or 3xx) answer once its
// body has been decoded: the status and the headers.
type Response struct {
	Status int
	Header http.Header
}

// Total reads the total of a Content-Range paged answer ("0-9/42" → 42).
func (r *Response) Total() (int, bool) {
	if r == nil {
		return 0, false
	}
	_, total, ok := strings.Cut(strings.TrimSpace(r.Header.Get("Content-Range")), "/")
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(strings.TrimSpace(total))
	if err != nil || n < 0 {
		return 0, false
	}
	return n, true
}

// Call sends req and decodes a successful answer into a T, once, as the
// body streams in:
//   - []byte or json.RawMessage: the body as it is;
//   - struct{}: the body is read and dropped;
//   - anything else: JSON, with numbers kept exact where the target is
//     untyped (json.Number: Postgres bigints exceed float64). An empty body
//     leaves T at its zero value.
//
// A non-2xx/3xx answer is returned as *Error; a failure to get any answer
// wraps ErrUnreachable. When req.Sink is set the body goes there instead.
func Call[T any](ctx context.Context, c *Client, req Request) (T, *Response, error) {
	var out T
	done, err := hold(ctx, c.t.inFlight, 1, int64(c.t.opts.MaxConcurrentRequests))
	if err != nil {
		return out, nil, fmt.Errorf("%s %s: waited for one of this server's %d backend requests in flight: %w", cmp.Or(req.Method, http.MethodGet), c.hideKey(req.Path), c.t.opts.MaxConcurrentRequests, err)
	}
	defer done()
	a, err := c.send(ctx, &req)
	if err != nil {
		return out, a.resp, err
	}
	defer a.cancel()
	defer a.body.Close()
	if req.Sink != nil {
		if _, err := io.Copy(req.Sink, a.body); err != nil {
			return out, a.resp, fmt.Errorf("%s %s: streaming response: %w", req.Method, req.Path, err)
		}
		return out, a.resp, nil
	}
	_, raw := any(&out).(*[]byte)
	data, release, err := c.read(&req, a, raw)
	if err != nil {
		return out, a.resp, err
	}
	defer release()
	return out, a.resp, decodeInto(&out, data)
}

// read reads a successful answer's body: all of it (up to
// MaxResponseBytes), or, through a budgeted client, about its budget (a
// JSON list cut after a whole item, raw bytes cut where the budget ends).
// It holds room in the transport's buffered bytes for what it reads until
// release is called.
func (c *Client) read(req *Request, a answer, raw bool) (data []byte, release func(), err error) {
	limit := c.t.opts.MaxResponseBytes
	size, err := strconv.ParseInt(a.resp.Header.Get("Content-Length"), 10, 64)
	if err != nil || size < 0 {
		size = -1
	}
	budget := c.budget
	if req.Whole || (size >= 0 && size <= budget) {
		budget = 0 // read it all
	}
	if budget == 0 && size > limit {
		// Known to be too large: do not download any of it.
		return nil, nil, fmt.Errorf("%s %s: response is larger than %d bytes (%d); ask for less (a smaller limit or a narrower query)",
			req.Method, req.Path, limit, size)
	}
	// Room in the buffered bytes: a budgeted read takes its (small)
	// budget at once; a whole read takes room as its bytes arrive, so
	// that an answer that only announces a size, or drips, holds no more
	// than it sent.
	body := &meteredReader{r: a.body, ctx: a.ctx, sem: c.t.buffered, size: c.t.opts.MaxBufferedBytes, expect: size}
	if budget > 0 {
		if err := body.reserve(budget + 1); err != nil {
			return nil, nil, noRoom(req, err)
		}
	}
	release = body.release
	var tooLarge bool
	var cut *Cut
	switch {
	case budget > 0 && raw:
		data, err = io.ReadAll(io.LimitReader(body, budget+1))
		if err == nil && int64(len(data)) > budget {
			data = data[:budget]
			cut = &Cut{Kept: -1, Bytes: budget}
		}
	case budget > 0:
		data, cut, err = cutJSON(body, budget)
		if errors.Is(err, errNotCuttable) {
			release()
			return nil, nil, fmt.Errorf("%s %s: the answer is larger than %d bytes, the most this server reads for one result, and has no list that could be cut; ask for less (a narrower query, fewer columns)",
				req.Method, req.Path, budget)
		}
	default:
		data, tooLarge, err = readCapped(body, limit)
	}
	if err != nil {
		release()
		var nr errNoRoom
		if errors.As(err, &nr) {
			return nil, nil, noRoom(req, nr.err)
		}
		if ctxErr := a.ctx.Err(); ctxErr != nil {
			// The backend answered, but its body did not arrive in time.
			return nil, nil, fmt.Errorf("%s %s: reading response: %w: %w", req.Method, req.Path, ErrUnreachable, ctxErr)
		}
		return nil, nil, fmt.Errorf("%s %s: reading response: %w: %s", req.Method, req.Path, ErrUnreachable, describeNetErr(err))
	}
	if tooLarge {
		release()
		return nil, nil, fmt.Errorf("%s %s: response is larger than %d bytes; ask for less (a smaller limit or a narrower query)",
			req.Method, req.Path, limit)
	}
	if cut != nil {
		cut.Method, cut.Path = req.Method, req.Path
		c.cuts.add(*cut)
	}
	return data, release, nil
}

// readCapped reads r to its end, or until it has read more than limit
// bytes (tooLarge, data nil). Beyond the first MiB it reads in 1 MiB pieces
// joined once at the end, so an oversized answer costs about limit bytes of
// memory rather than the two to three times that of io.ReadAll's growth.
func readCapped(r io.Reader, limit int64) (data []byte, tooLarge bool, err error) {
	const piece = 1 << 20
	r = io.LimitReader(r, limit+1)
	first, err := io.ReadAll(io.LimitReader(r, piece))
	if err != nil || len(first) < piece {
		return first, int64(len(first)) > limit, err
	}
	pieces := [][]byte{first}
	total := int64(len(first))
	for err == nil {
		buf := make([]byte, piece)
		n := 0
		for n < piece && err == nil {
			var m int
			m, err = r.Read(buf[n:])
			n += m
		}
		pieces = append(pieces, buf[:n])
		total += int64(n)
	}
	if err != io.EOF {
		return nil, false, err
	}
	if total > limit {
		return nil, true, nil
	}
	data = make([]byte, 0, total)
	for _, p := range pieces {
		data = append(data, p...)
	}
	return data, false, nil
}

// decodeInto fills *out from data according to its type (see Call).
func decodeInto[T any](out *T, data []byte) error {
	switch p := any(out).(type) {
	case *[]byte:
		*p = data
		return nil
	case *json.RawMessage:
		*p = data
		return nil
	case *struct{}:
		return nil
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	err := dec.Decode(out)
	if err == nil {
		return nil
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Errorf("decode backend response: the answer has an unexpected shape (%w); this backend version may differ from the one this server supports", err)
	}
	return fmt.Errorf("decode backend response: the answer is not valid JSON (%w), perhaps cut off; retry, and if it persists check that the project URL points at the InsForge API", err)
}

// answer is a successful response whose body is still open. cancel ends
// the call's deadline once the body has been read; ctx carries it.
type answer struct {
	resp   *Response
	body   io.ReadCloser
	ctx    context.Context
	cancel context.CancelFunc
}

// send performs the request with its retries. A success comes back with
// its body open: the caller closes it, then calls cancel. A failure comes
// back with the response, when there was one, for its status and headers.
func (c *Client) send(ctx context.Context, req *Request) (answer, error) {
	if req.Method == "" {
		req.Method = http.MethodGet
	}
	if req.Path == "" && req.URL != "" {
		req.Path = withoutQuery(req.URL) // for messages and logs: never a signed query string
	}
	target := req.URL
	if target == "" {
		target = c.base + req.Path
	}
	// From here on req.Path only names the request in messages and logs:
	// without the key, even when a caller put it there (an agent that
	// pasted the key as a table name).
	req.Path = c.hideKey(req.Path)
	timeout := c.t.opts.Timeout
	if req.Timeout > 0 {
		timeout = req.Timeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	if stream, ok := req.Body.(io.Reader); ok && req.Open == nil {
		// A plain reader can be sent only once.
		req.Open = func() (io.ReadCloser, error) { return io.NopCloser(stream), nil }
		req.Body, req.NoRetry = nil, true
	}
	body, err := encodeBody(req.Body)
	if err != nil {
		cancel()
		return answer{}, err
	}
	maxRetries := c.t.opts.MaxRetries
	if req.Retries > 0 {
		maxRetries = req.Retries
	}
	safe := req.Idempotent || req.Method == http.MethodGet || req.Method == http.MethodHead || req.Method == http.MethodOptions
	for attempt := 0; ; attempt++ {
		start := time.Now()
		resp, rb, err := c.once(ctx, req, target, body)
		status := 0
		if resp != nil {
			status = resp.Status
		}
		c.t.opts.Logger.LogAttrs(ctx, slog.LevelDebug, "insforge request",
			slog.String("method", req.Method), slog.String("path", req.Path),
			slog.Int("status", status), slog.Int("attempt", attempt),
			slog.Duration("took", time.Since(start)))
		if err == nil {
			return answer{resp: resp, body: rb, ctx: ctx, cancel: cancel}, nil
		}
		// giveUp ends the call with this attempt's failure, telling the
		// client's log when the backend's rate limit was the cause.
		giveUp := func(why string) (answer, error) {
			cancel()
			rateLimited(ctx, req, err, why)
			return answer{resp: resp}, err
		}
		switch {
		case req.NoRetry:
			return giveUp("this request is not repeated")
		case attempt >= maxRetries:
			return giveUp(fmt.Sprintf("after %d attempts", attempt+1))
		case ctx.Err() != nil:
			return giveUp("the call's time ran out")
		}
		wait, again := c.retryDelay(attempt, req, safe, err)
		if !again {
			return giveUp(c.noRetryReason(safe, err))
		}
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait {
			return giveUp(fmt.Sprintf("waiting %s would outlast the call's time limit", wait.Round(time.Millisecond)))
		}
		clientlog.Logf(ctx, clientlog.Notice, "%s %s: %s; trying again in %s (attempt %d of %d).",
			req.Method, req.Path, retryCause(err), wait.Round(time.Millisecond), attempt+2, maxRetries+1)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return giveUp("the call ended while it waited to try again")
		case <-t.C:
		}
	}
}

// retryCause says, for the client's log, why a request failed: never the
// backend's words, only what kind of failure it was.
func retryCause(err error) string {
	var e *Error
	switch {
	case errors.As(err, &e) && e.Status == http.StatusTooManyRequests && e.hasRetryAfter:
		return fmt.Sprintf("the backend is rate limiting (429, Retry-After %s)", e.RetryAfter)
	case errors.As(err, &e) && e.Status == http.StatusTooManyRequests:
		return "the backend is rate limiting (429)"
	case errors.As(err, &e) && e.NotJSON:
		return fmt.Sprintf("a gateway answered %d", e.Status)
	case errors.As(err, &e):
		return fmt.Sprintf("the backend answered %d", e.Status)
	}
	return "the connection failed"
}

// rateLimited tells the client's log that a call ends on the backend's
// rate limit (429), and why it is not tried again.
func rateLimited(ctx context.Context, req *Request, err error, why string) {
	var e *Error
	if errors.As(err, &e) && e.Status == http.StatusTooManyRequests {
		clientlog.Logf(ctx, clientlog.Warning, "%s %s: %s; giving up: %s.", req.Method, req.Path, retryCause(err), why)
	}
}

// noRetryReason says why retryDelay refused another attempt at a 429.
func (c *Client) noRetryReason(safe bool, err error) string {
	var e *Error
	if errors.As(err, &e) && e.hasRetryAfter && e.RetryAfter > c.t.opts.MaxRetryAfter {
		return fmt.Sprintf("its Retry-After is longer than the %s this server waits", c.t.opts.MaxRetryAfter)
	}
	if !safe {
		return "writes are not repeated automatically"
	}
	return "the answer is final"
}

// retryDelay says whether to retry after err and how long to wait first.
// Only safe (idempotent) requests are retried on transient failures; the
// backend's own JSON answer to 502/503/504 is final; req.RetryIf may add
// answers worth another try for any request.
func (c *Client) retryDelay(attempt int, req *Request, safe bool, err error) (time.Duration, bool) {
	backoff := c.t.opts.RetryWait << attempt
	backoff += time.Duration(rand.Int64N(int64(backoff)/4 + 1))
	if req.RetryWait > 0 {
		backoff = req.RetryWait
	}
	retryIf := req.RetryIf
	var apiErr *Error
	if !errors.As(err, &apiErr) {
		return backoff, safe && errors.Is(err, ErrUnreachable)
	}
	if retryIf != nil && retryIf(apiErr) {
		return c.honourRetryAfter(apiErr, backoff)
	}
	if !safe {
		return 0, false
	}
	switch apiErr.Status {
	case http.StatusTooManyRequests:
	case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		// A JSON InsForge error with these statuses is the backend's own
		// answer (a feature not configured, an upstream it relies on
		// being down): asking again will not change it. A proxy's page
		// is worth another try.
		if !apiErr.NotJSON {
			return 0, false
		}
	default:
		return 0, false
	}
	return c.honourRetryAfter(apiErr, backoff)
}

func (c *Client) honourRetryAfter(e *Error, backoff time.Duration) (time.Duration, bool) {
	if e.hasRetryAfter {
		if e.RetryAfter > c.t.opts.MaxRetryAfter {
			return 0, false
		}
		return e.RetryAfter, true
	}
	return backoff, true
}

func parseRetryAfter(v string) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.Atoi(v); err == nil && secs >= 0 {
		return time.Duration(secs) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(time.Until(t), 0), true
	}
	return 0, false
}

// once performs one attempt. A success comes back with its body open; a
// non-success status is read (capped), closed and returned as an *Error,
// with the response for its status and headers.
func (c *Client) once(ctx context.Context, req *Request, target string, body []byte) (*Response, io.ReadCloser, error) {
	hr, err := c.newHTTPRequest(ctx, req, target, body)
	if err != nil {
		return nil, nil, err
	}
	raw, err := c.t.hc.Do(hr)
	if err != nil {
		var refused refusedDial
		if errors.As(err, &refused) {
			return nil, nil, fmt.Errorf("%s %s: %w: %s", req.Method, req.Path, ErrAddressRefused, c.hideKey(refused.Error()))
		}
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, nil, fmt.Errorf("%s %s: %w: %w", req.Method, req.Path, ErrUnreachable, ctxErr)
		}
		return nil, nil, fmt.Errorf("%s %s: %w: %s", req.Method, req.Path, ErrUnreachable, describeNetErr(err))
	}
	resp := &Response{Status: raw.StatusCode, Header: raw.Header}
	if raw.StatusCode < 400 || req.AnyStatus {
		return resp, raw.Body, nil
	}
	defer raw.Body.Close()
	data, err := io.ReadAll(io.LimitReader(raw.Body, maxErrorBody))
	if err != nil && len(data) == 0 {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, nil, fmt.Errorf("%s %s: reading response: %w: %w", req.Method, req.Path, ErrUnreachable, ctxErr)
		}
		return nil, nil, fmt.Errorf("%s %s: reading response: %w: %s", req.Method, req.Path, ErrUnreachable, describeNetErr(err))
	}
	e := decodeError(req.Method, req.Path, raw.StatusCode, raw.Header.Get("Content-Type"), data)
	e.RetryAfter, e.hasRetryAfter = parseRetryAfter(raw.Header.Get("Retry-After"))
	return resp, nil, e
}

// newHTTPRequest builds one attempt's *http.Request.
func (c *Client) newHTTPRequest(ctx context.Context, req *Request, target string, body []byte) (*http.Request, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w: invalid URL", req.Method, req.Path, ErrUnreachable)
	}
	if len(req.Query) > 0 {
		q := u.Query()
		for k, vs := range req.Query {
			for _, v := range vs {
				q.Add(k, v)
			}
		}
		u.RawQuery = q.Encode()
	}
	var rb io.Reader
	contentType := req.ContentType
	switch {
	case req.Open != nil:
		stream, err := req.Open()
		if err != nil {
			return nil, err
		}
		rb = stream
	case body != nil:
		rb = bytes.NewReader(body)
		if contentType == "" {
			contentType = "application/json"
		}
	}
	hr, err := http.NewRequestWithContext(ctx, req.Method, u.String(), rb)
	if err != nil {
		if c, ok := rb.(io.Closer); ok {
			c.Close()
		}
		return nil, fmt.Errorf("%s %s: %w", req.Method, req.Path, err)
	}
	if req.Open != nil && req.ContentLength > 0 {
		hr.ContentLength = req.ContentLength
	}
	for k, vs := range req.Header {
		hr.Header[http.CanonicalHeaderKey(k)] = append([]string(nil), vs...)
	}
	hr.Header.Set("User-Agent", c.t.opts.UserAgent)
	if contentType != "" {
		hr.Header.Set("Content-Type", contentType)
	}
	sameOrigin := req.URL == "" || c.sameOrigin(req.URL)
	if !req.NoAuth && c.key != "" && sameOrigin {
		hr.Header.Set("Authorization", "Bearer "+c.key)
	}
	return hr, nil
}

func withoutQuery(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	u.RawQuery, u.Fragment, u.User = "", "", nil
	return u.String()
}

// hideKey replaces the client's key in s (as is and URL-escaped).
func (c *Client) hideKey(s string) string {
	if len(c.key) < 8 {
		return s
	}
	mark := "(redacted)"
	if strings.HasPrefix(c.key, "ik_") {
		mark = "ik_…(redacted)"
	}
	s = strings.ReplaceAll(s, c.key, mark)
	if esc := url.PathEscape(c.key); esc != c.key {
		s = strings.ReplaceAll(s, esc, mark)
	}
	return s
}

// sameOrigin reports whether an absolute URL has the project's scheme and host.
func (c *Client) sameOrigin(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil {
		return false
	}
	base, err := url.Parse(c.base)
	if err != nil {
		return false
	}
	return strings.EqualFold(u.Scheme, base.Scheme) && strings.EqualFold(u.Host, base.Host)
}

func encodeBody(b any) ([]byte, error) {
	switch v := b.(type) {
	case nil:
		return nil, nil
	case []byte:
		return v, nil
	case string:
		return []byte(v), nil
	case json.RawMessage:
		return v, nil
	}
	data, err := json.Marshal(b)
	if err != nil {
		return nil, fmt.Errorf("encode request body: %w", err)
	}
	return data, nil
}

// describeNetErr shortens a transport error to its cause, without the URL's
// query string (which never carries the key, but may carry user data).
func describeNetErr(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err.Error()
	}
	return err.Error()
}
