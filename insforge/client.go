// Package insforge is a small client for the InsForge admin HTTP API.
//
// A Transport holds what every project shares (connection pool, timeouts,
// retry policy); a Client binds a Transport to one project URL and admin API
// key. Clients are cheap values: a server that serves many sessions makes one
// per credential pair without opening new connection pools.
//
// The API key is sent only in the Authorization header. It never appears in
// an error, a log line or a URL produced by this package.
package insforge

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/go-resty/resty/v2"
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
	// MaxResponseBytes caps how much of a response body is read (default 32 MiB).
	MaxResponseBytes int64
	// UserAgent is sent on every request.
	UserAgent string
	// HTTPClient replaces the default client (tests).
	HTTPClient *http.Client
	// Logger receives one debug line per request (method, path, status, time).
	Logger *slog.Logger
}

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
	if o.UserAgent == "" {
		o.UserAgent = "insforge-mcp"
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

// Transport is the shared HTTP machinery behind every Client.
type Transport struct {
	rc   *resty.Client
	opts Options
}

// NewTransport builds a Transport. It is safe for concurrent use.
func NewTransport(opts Options) *Transport {
	opts = opts.withDefaults()
	var rc *resty.Client
	if opts.HTTPClient != nil {
		rc = resty.NewWithClient(opts.HTTPClient)
	} else {
		rc = resty.New()
	}
	if t, ok := rc.GetClient().Transport.(*http.Transport); ok {
		// Many sessions share one backend host: keep enough idle
		// connections to reuse them instead of churning sockets.
		t.MaxIdleConns = 256
		t.MaxIdleConnsPerHost = 64
	}
	rc.SetDisableWarn(true)
	rc.SetLogger(discardLogger{})
	rc.SetHeader("User-Agent", opts.UserAgent)
	// Follow redirects only within the same host: the admin key must never
	// travel to a host the user did not name.
	rc.SetRedirectPolicy(resty.RedirectPolicyFunc(func(req *http.Request, via []*http.Request) error {
		if len(via) >= 5 {
			return errors.New("stopped after 5 redirects")
		}
		if req.URL.Host != via[0].URL.Host {
			return fmt.Errorf("refused to follow a redirect to another host (%s)", req.URL.Host)
		}
		return nil
	}))
	return &Transport{rc: rc, opts: opts}
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
}

// BaseURL is the project URL this client talks to (no trailing slash).
func (c *Client) BaseURL() string { return c.base }

// Request describes one API call.
type Request struct {
	Method string
	// Path starts with "/", for example "/api/metadata". Callers escape
	// user-supplied segments with url.PathEscape.
	Path   string
	Query  url.Values
	Header http.Header
	// Body is JSON-encoded unless it is a []byte, string or io.Reader, which
	// are sent as they are with ContentType.
	Body        any
	ContentType string
	// Idempotent allows retries for methods other than GET/HEAD/OPTIONS.
	Idempotent bool
	// NoRetry disables retries even for GET (calls into user code).
	NoRetry bool
	// NoAuth omits the API key (public endpoints, function invocation).
	NoAuth bool
	// URL, when set, is an absolute URL used instead of the project URL plus
	// Path (presigned storage or deployment uploads). The API key is sent
	// only when its scheme and host are the project's own.
	URL string
	// Sink, when set, receives a successful response body as it streams
	// (downloads): it is not read into memory and not capped.
	Sink io.Writer
	// ContentLength of a streamed Body, when known (sent instead of chunked).
	ContentLength int64
	// Timeout replaces the transport's per-call timeout (long transfers).
	Timeout time.Duration
}

// Response is a successful (2xx or 3xx) answer.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Decode unmarshals the JSON body into v. Numbers decoded into untyped
// values stay exact (json.Number): Postgres bigints exceed float64.
func (r *Response) Decode(v any) error {
	if len(bytes.TrimSpace(r.Body)) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(r.Body))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return fmt.Errorf("decode backend response: the answer has an unexpected shape (%w); this backend version may differ from the one this server supports", err)
		}
		return fmt.Errorf("decode backend response: the answer is not valid JSON (%w), perhaps cut off; retry, and if it persists check that the project URL points at the InsForge API", err)
	}
	return nil
}

// Total reads the total of a Content-Range paged answer ("0-9/42" → 42).
func (r *Response) Total() (int, bool) {
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

// JSON returns the body as a generic JSON value (nil for an empty body).
func (r *Response) JSON() (any, error) {
	var v any
	if err := r.Decode(&v); err != nil {
		return nil, err
	}
	return v, nil
}

// Get sends a GET and decodes the JSON answer into out (when non-nil).
func (c *Client) Get(ctx context.Context, path string, query url.Values, out any) error {
	return c.call(ctx, Request{Method: http.MethodGet, Path: path, Query: query}, out)
}

// Send sends method with a JSON body and decodes the JSON answer into out.
func (c *Client) Send(ctx context.Context, method, path string, body, out any) error {
	return c.call(ctx, Request{Method: method, Path: path, Body: body}, out)
}

func (c *Client) call(ctx context.Context, req Request, out any) error {
	resp, err := c.Do(ctx, req)
	if err != nil {
		return err
	}
	if out == nil {
		return nil
	}
	return resp.Decode(out)
}

// Do sends the request, retrying idempotent ones on transient failures.
// A non-2xx/3xx answer is returned as *Error; a failure to get any answer
// wraps ErrUnreachable.
func (c *Client) Do(ctx context.Context, req Request) (*Response, error) {
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
	defer cancel()

	body, err := encodeBody(req.Body)
	if err != nil {
		return nil, err
	}
	_, streaming := req.Body.(io.Reader)
	retryable := !streaming && !req.NoRetry && (req.Idempotent || req.Method == http.MethodGet ||
		req.Method == http.MethodHead || req.Method == http.MethodOptions)

	for attempt := 0; ; attempt++ {
		start := time.Now()
		resp, err := c.once(ctx, req, target, body)
		status := 0
		if resp != nil {
			status = resp.Status
		}
		c.t.opts.Logger.LogAttrs(ctx, slog.LevelDebug, "insforge request",
			slog.String("method", req.Method), slog.String("path", req.Path),
			slog.Int("status", status), slog.Int("attempt", attempt),
			slog.Duration("took", time.Since(start)))

		if !retryable || attempt >= c.t.opts.MaxRetries || ctx.Err() != nil {
			return resp, err
		}
		wait, again := c.retryDelay(attempt, resp, err)
		if !again {
			return resp, err
		}
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait {
			return resp, err
		}
		select {
		case <-ctx.Done():
			return resp, err
		case <-time.After(wait):
		}
	}
}

// retryDelay says whether to retry after this outcome and how long to wait.
func (c *Client) retryDelay(attempt int, resp *Response, err error) (time.Duration, bool) {
	backoff := c.t.opts.RetryWait << attempt
	backoff += time.Duration(rand.Int64N(int64(backoff)/4 + 1))
	if err == nil {
		return 0, false
	}
	var apiErr *Error
	if errors.As(err, &apiErr) {
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
		if resp != nil {
			if ra, ok := parseRetryAfter(resp.Header.Get("Retry-After")); ok {
				if ra > c.t.opts.MaxRetryAfter {
					return 0, false
				}
				return ra, true
			}
		}
		return backoff, true
	}
	if errors.Is(err, ErrUnreachable) {
		return backoff, true
	}
	return 0, false
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
		d := time.Until(t)
		if d < 0 {
			d = 0
		}
		return d, true
	}
	return 0, false
}

// once performs one attempt. On a non-success status it returns both the
// response (for headers such as Retry-After) and an *Error.
func (c *Client) once(ctx context.Context, req Request, target string, body []byte) (*Response, error) {
	sameOrigin := true
	if req.URL != "" {
		sameOrigin = c.sameOrigin(req.URL)
	}
	auth := !req.NoAuth && c.key != "" && sameOrigin

	var status int
	var header http.Header
	var rb io.ReadCloser
	var err error
	if stream, ok := req.Body.(io.Reader); ok {
		status, header, rb, err = c.sendStream(ctx, req, target, stream, auth)
	} else {
		status, header, rb, err = c.sendBuffered(ctx, req, target, body, auth)
	}
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, fmt.Errorf("%s %s: %w: %w", req.Method, req.Path, ErrUnreachable, ctxErr)
		}
		return nil, fmt.Errorf("%s %s: %w: %s", req.Method, req.Path, ErrUnreachable, describeNetErr(err))
	}
	defer rb.Close()
	if req.Sink != nil && status < 300 {
		if _, err := io.Copy(req.Sink, rb); err != nil {
			return nil, fmt.Errorf("%s %s: streaming response: %w", req.Method, req.Path, err)
		}
		return &Response{Status: status, Header: header}, nil
	}
	if n, err := strconv.ParseInt(header.Get("Content-Length"), 10, 64); err == nil && n > c.t.opts.MaxResponseBytes {
		// Known to be too large: do not download any of it.
		return nil, fmt.Errorf("%s %s: response is larger than %d bytes (%d); ask for less (a smaller limit or a narrower query)",
			req.Method, req.Path, c.t.opts.MaxResponseBytes, n)
	}
	data, tooLarge, err := readCapped(rb, c.t.opts.MaxResponseBytes)
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			// The backend answered, but its body did not arrive in time.
			return nil, fmt.Errorf("%s %s: reading response: %w: %w", req.Method, req.Path, ErrUnreachable, ctxErr)
		}
		return nil, fmt.Errorf("%s %s: reading response: %w: %s", req.Method, req.Path, ErrUnreachable, describeNetErr(err))
	}
	if tooLarge {
		return nil, fmt.Errorf("%s %s: response is larger than %d bytes; ask for less (a smaller limit or a narrower query)",
			req.Method, req.Path, c.t.opts.MaxResponseBytes)
	}
	resp := &Response{Status: status, Header: header, Body: data}
	if resp.Status >= 400 {
		e := decodeError(req.Method, req.Path, resp.Status, resp.Header.Get("Content-Type"), data)
		e.RetryAfter, _ = parseRetryAfter(resp.Header.Get("Retry-After"))
		return resp, e
	}
	return resp, nil
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

// sendBuffered sends a request whose body is in memory, through resty.
func (c *Client) sendBuffered(ctx context.Context, req Request, target string, body []byte, auth bool) (int, http.Header, io.ReadCloser, error) {
	r := c.t.rc.R().SetContext(ctx).SetDoNotParseResponse(true)
	if auth {
		r.SetAuthToken(c.key)
	}
	for k, vs := range req.Header {
		r.SetHeaderMultiValues(map[string][]string{k: vs})
	}
	if len(req.Query) > 0 {
		r.SetQueryParamsFromValues(req.Query)
	}
	if body != nil {
		r.SetBody(body)
		ct := req.ContentType
		if ct == "" {
			ct = "application/json"
		}
		r.SetHeader("Content-Type", ct)
	}
	raw, err := r.Execute(req.Method, target)
	if err != nil {
		return 0, nil, nil, err
	}
	return raw.StatusCode(), raw.Header(), raw.RawBody(), nil
}

// sendStream sends a streamed body (uploads) with the same HTTP client and
// redirect policy. resty would read an io.Reader body whole into memory
// first, so it is bypassed here.
func (c *Client) sendStream(ctx context.Context, req Request, target string, body io.Reader, auth bool) (int, http.Header, io.ReadCloser, error) {
	u, err := url.Parse(target)
	if err != nil {
		return 0, nil, nil, err
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
	hr, err := http.NewRequestWithContext(ctx, req.Method, u.String(), body)
	if err != nil {
		return 0, nil, nil, err
	}
	if req.ContentLength > 0 {
		hr.ContentLength = req.ContentLength
	}
	for k, vs := range req.Header {
		hr.Header[http.CanonicalHeaderKey(k)] = append([]string(nil), vs...)
	}
	hr.Header.Set("User-Agent", c.t.opts.UserAgent)
	if req.ContentType != "" {
		hr.Header.Set("Content-Type", req.ContentType)
	}
	if auth {
		hr.Header.Set("Authorization", "Bearer "+c.key)
	}
	resp, err := c.t.rc.GetClient().Do(hr)
	if err != nil {
		return 0, nil, nil, err
	}
	return resp.StatusCode, resp.Header, resp.Body, nil
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
	case io.Reader:
		return nil, nil
	case json.RawMessage:
		return v, nil
	default:
		data, err := json.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("encode request body: %w", err)
		}
		return data, nil
	}
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

type discardLogger struct{}

func (discardLogger) Errorf(string, ...any) {}
func (discardLogger) Warnf(string, ...any)  {}
func (discardLogger) Debugf(string, ...any) {}
