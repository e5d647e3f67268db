package storage

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"math"
	"mime"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/insforge-mcp/insforge-mcp/insforge"
	"github.com/insforge-mcp/insforge-mcp/tools"
)

// upload-object and download-object: moving bytes between the machine
// running this server and a bucket (upload-strategy, confirm-upload and
// download-strategy routes, or the storage provider's presigned URLs).

// UploadObjectInput are the arguments of upload-object.
type UploadObjectInput struct {
	Bucket      string  `json:"bucket" jsonschema:"required,minLength=1" jsonschema_description:"Must exist (create-bucket)."`
	Key         string  `json:"key,omitempty" jsonschema_description:"e.g. avatars/42/a.png; no leading '/' or '..'. Default: the file's name."`
	FilePath    string  `json:"filePath,omitempty" jsonschema_description:"Absolute path on this MCP server's machine."`
	Content     *string `json:"content,omitempty" jsonschema_description:"Text to store instead of a file; needs key."`
	ContentType string  `json:"contentType,omitempty" jsonschema_description:"Guessed if omitted; HTML, SVG, JS and XML are stored as application/octet-stream."`
}

// DownloadObjectInput are the arguments of download-object.
type DownloadObjectInput struct {
	Bucket          string `json:"bucket" jsonschema:"required,minLength=1" jsonschema_description:"From list-buckets."`
	Key             string `json:"key" jsonschema:"required,minLength=1" jsonschema_description:"Exact key, from list-objects."`
	DestinationPath string `json:"destinationPath,omitempty" jsonschema_description:"Absolute file or folder path on this MCP server's machine; overwrites."`
}

// inlineMax is the largest object download-object returns inline.
const inlineMax = 64 << 10

// UploadObject is upload-object.
func UploadObject() tools.Tool {
	return tools.Define(tools.Spec{
		Name:  "upload-object",
		Title: "Upload a file or text",
		Hints: tools.Overwrite,
		Description: "Upload a file or text to a key, replacing any object there (50 MB max by default). " +
			"Save the returned url (to show) and key (to replace or delete it) in the row owning the file.",
	}, uploadObject)
}

// DownloadObject is download-object.
func DownloadObject() tools.Tool {
	return tools.Define(tools.Spec{
		Name:  "download-object",
		Title: "Download an object",
		// It writes a local file, but changes nothing in the backend.
		Hints:       tools.Read,
		Description: "Download one object to destinationPath, or inline if it is text of at most 64 KiB.",
	}, downloadObject)
}

// uploadStrategy is the answer of the upload-strategy route.
type uploadStrategy struct {
	Method          string            `json:"method"`
	UploadURL       string            `json:"uploadUrl"`
	Fields          map[string]string `json:"fields"`
	Key             string            `json:"key"`
	ConfirmRequired bool              `json:"confirmRequired"`
	ConfirmURL      string            `json:"confirmUrl"`
}

// payload is what upload-object sends: an open file or inline text.
type payload struct {
	// open returns the bytes to send from their start; each attempt of a
	// request calls it again.
	open     func() io.Reader
	size     int64
	filename string // for the multipart part
	what     string // for messages
}

func uploadObject(ctx context.Context, env *tools.Env, in UploadObjectInput) (*tools.Result, error) {
	if err := checkBucket(in.Bucket, "bucket"); err != nil {
		return nil, err
	}
	hasFile, hasContent := in.FilePath != "", in.Content != nil
	switch {
	case hasFile && hasContent:
		return nil, tools.Errorf("give either filePath (a local file to upload) or content (text to store), not both. Nothing was uploaded.")
	case !hasFile && !hasContent:
		return nil, tools.Errorf("give filePath (a local file to upload) or content (text to store as the object, with key). Nothing was uploaded.")
	}
	key := in.Key
	contentType := strings.TrimSpace(in.ContentType)
	var p payload
	if hasFile {
		f, info, err := openLocal(env, in.FilePath)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		if key == "" {
			key = filepath.Base(f.Name())
		}
		if contentType == "" {
			contentType = typeByExt(key, f.Name())
		}
		if contentType == "" {
			head := make([]byte, 512)
			n, _ := f.ReadAt(head, 0)
			contentType = http.DetectContentType(head[:n])
		}
		// A section reader reads the file to its end with ReadAt, so each
		// attempt starts from the first byte without moving the file offset.
		open := func() io.Reader { return io.NewSectionReader(f, 0, math.MaxInt64) }
		p = payload{open: open, size: info.Size(), filename: filepath.Base(f.Name()), what: "file " + f.Name()}
	} else {
		if key == "" {
			return nil, tools.Errorf("key is required with content: give the object key to write, for example notes/readme.md. Nothing was uploaded.")
		}
		if contentType == "" {
			contentType = typeByExt(key, "")
		}
		if contentType == "" {
			contentType = "text/plain; charset=utf-8"
		}
		text := *in.Content
		p = payload{open: func() io.Reader { return strings.NewReader(text) }, size: int64(len(*in.Content)), filename: path.Base(key), what: fmt.Sprintf("%d bytes of text", len(*in.Content))}
	}
	if err := checkKey(key, "key"); err != nil {
		return nil, err
	}

	strat, _, err := insforge.Call[uploadStrategy](ctx, env.Client, insforge.Request{
		Method: http.MethodPost, Path: bucketPath(in.Bucket) + "/upload-strategy",
		Body: map[string]any{"filename": key, "contentType": contentType, "size": p.size},
	})
	if err != nil {
		return nil, notFound(err, "Bucket %q does not exist, so nothing was uploaded. Create it with create-bucket, or check the name with list-buckets.", in.Bucket)
	}
	if env.Progress != nil {
		open := p.open
		p.open = func() io.Reader { return &progress{r: open(), total: p.size, report: env.Progress} }
	}
	objectPath := bucketPath(in.Bucket) + "/objects/" + escapeKey(key)

	var stored map[string]any
	switch strat.Method {
	case "direct":
		req := request(env, http.MethodPut, strat.UploadURL, objectPath)
		stored, _, err = sendForm[map[string]any](ctx, env, req, nil, p, contentType)
		if err != nil {
			return nil, uploadError(err, p, in.Bucket, key)
		}
	case "presigned":
		stored, err = uploadPresigned(ctx, env, strat, p, contentType, in.Bucket, key)
		if err != nil {
			return nil, err
		}
	default:
		return nil, tools.Errorf("the backend offered an upload method %q that this server does not know, so nothing was uploaded. Update insforge-mcp to a newer version.", strat.Method)
	}
	if stored == nil {
		stored = map[string]any{}
	}
	size, mimeType := stored["size"], stored["mimeType"]
	if size == nil {
		size = p.size
	}
	if mimeType == nil {
		mimeType = contentType
	}
	return tools.Found(fmt.Sprintf("Uploaded %s to bucket %q at key %q (%v bytes, stored as %v). Save both url (to display it) and key (to download, replace or delete it later) in the row that owns the file.",
		p.what, in.Bucket, key, size, mimeType), stored), nil
}

// uploadPresigned posts the file to the storage provider's presigned form,
// then has the backend record it (confirm-upload).
func uploadPresigned(ctx context.Context, env *tools.Env, strat uploadStrategy, p payload, contentType, bucket, key string) (map[string]any, error) {
	if strat.UploadURL == "" {
		return nil, fmt.Errorf("the backend's presigned upload strategy for %s/%s has no uploadUrl", bucket, key)
	}
	// The presigned form carries its own authorization: never send the
	// admin key there, whatever its host.
	req := insforge.Request{Method: http.MethodPost, URL: strat.UploadURL, NoAuth: true}
	_, resp, err := sendForm[struct{}](ctx, env, req, strat.Fields, p, contentType)
	if err != nil {
		var ae *insforge.Error
		if errors.As(err, &ae) {
			return nil, tools.QuotedErrorf(ae.Message, "The storage provider refused the upload of %s with HTTP %d, so nothing was stored. The presigned form is valid for one hour and only for the declared size and content type; run upload-object again, and check the size limit if it keeps failing. The provider's message is below.",
				p.what, ae.Status)
		}
		return nil, err
	}
	declared := contentType
	for k, v := range strat.Fields {
		if strings.EqualFold(k, "Content-Type") {
			declared = v
		}
	}
	body := map[string]any{"size": p.size, "contentType": declared}
	if etag := strings.Trim(resp.Header.Get("ETag"), `"`); etag != "" {
		body["etag"] = etag
	}
	// confirm-upload takes the key as one path segment (%2F for '/').
	confirm := request(env, http.MethodPost, strat.ConfirmURL, bucketPath(bucket)+"/objects/"+url.PathEscape(key)+"/confirm-upload")
	confirm.Body = body
	stored, _, err := insforge.Call[map[string]any](ctx, env.Client, confirm)
	if err != nil {
		if isCode(err, http.StatusRequestEntityTooLarge, "") {
			return nil, uploadError(err, p, bucket, key)
		}
		return nil, tools.Errorf("The file reached the storage provider, but the backend did not record it: %s Run upload-object again; until then the object does not appear in list-objects.", tools.Explain(err))
	}
	return stored, nil
}

// uploadError explains a failed upload request.
func uploadError(err error, p payload, bucket, key string) error {
	var ae *insforge.Error
	if !errors.As(err, &ae) {
		return err
	}
	switch {
	case ae.Status == http.StatusRequestEntityTooLarge:
		return tools.QuotedErrorf(ae.Message, "The backend refused %s (%d bytes) as too large. Nothing was stored. Tell the user: the limit is the project's maxFileSizeMb storage setting (default 50 MB, at most 200 MB), which an admin can raise in the dashboard. The backend's message is below.",
			p.what, p.size)
	case ae.Status == http.StatusNotFound && !ae.NotJSON:
		return tools.Errorf("Bucket %q does not exist, so nothing was uploaded. Create it with create-bucket, or check the name with list-buckets.", bucket)
	case ae.Status == http.StatusConflict:
		return tools.QuotedErrorf(ae.Message, "The backend refused to write key %q in bucket %q because it conflicts with an existing record (409). Choose another key. The backend's message is below.", key, bucket)
	}
	return err
}

// sendForm sends a multipart form: fields (sorted by name), then the
// payload as the part "file", and decodes the answer into a T. Each attempt
// opens a pipe that the form is copied into as the HTTP client reads the
// other end, so the payload is never held in memory. Uploads are not
// retried: a failed one is reported and the agent runs it again.
func sendForm[T any](ctx context.Context, env *tools.Env, req insforge.Request, fields map[string]string, p payload, contentType string) (T, *insforge.Response, error) {
	// Every attempt writes the same boundary, so the Content-Type holds.
	proto := multipart.NewWriter(io.Discard)
	var (
		mu      sync.Mutex
		writers []func() // stop an attempt's writer and wait for it
	)
	req.Open = func() (io.ReadCloser, error) {
		pr, pw := io.Pipe()
		mw := multipart.NewWriter(pw)
		if err := mw.SetBoundary(proto.Boundary()); err != nil {
			return nil, err
		}
		done := make(chan struct{})
		go func() {
			defer close(done)
			err := writeForm(mw, fields, p.filename, p.open(), contentType)
			if err == nil {
				err = mw.Close()
			}
			pw.CloseWithError(err) // nil: the reader sees EOF
		}()
		mu.Lock()
		writers = append(writers, func() {
			pr.CloseWithError(errors.New("request finished"))
			<-done
		})
		mu.Unlock()
		return pr, nil
	}
	req.ContentType = proto.FormDataContentType()
	req.NoRetry = true
	out, resp, err := insforge.Call[T](ctx, env.Client, req)
	// Unblock the writers of requests that ended before reading everything,
	// so that none still reads the payload once this returns.
	mu.Lock()
	defer mu.Unlock()
	for _, stop := range writers {
		stop()
	}
	return out, resp, err
}

func writeForm(mw *multipart.Writer, fields map[string]string, filename string, r io.Reader, contentType string) error {
	for _, k := range slices.Sorted(maps.Keys(fields)) {
		if err := mw.WriteField(k, fields[k]); err != nil {
			return err
		}
	}
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="file"; filename="%s"`, quote.Replace(filename)))
	h.Set("Content-Type", contentType)
	part, err := mw.CreatePart(h)
	if err != nil {
		return err
	}
	_, err = io.Copy(part, r)
	return err
}

var quote = strings.NewReplacer("\\", "\\\\", `"`, "\\\"", "\r", " ", "\n", " ")

// request targets a URL the backend handed out. A relative URL is a
// path on the project. An absolute URL of the backend's own storage API is
// moved onto the project URL: the backend builds these from its configured
// API base URL (http://localhost:7130 by default), which need not be the
// address this server reaches it at, and the admin key is only sent to the
// project's origin. Any other absolute URL (a storage provider) is used as
// it is (the client sends the key only to the project's origin). fallback
// is the path to use when raw is empty.
func request(env *tools.Env, method, raw, fallback string) insforge.Request {
	req := insforge.Request{Method: method, Header: http.Header{}}
	switch {
	case raw == "":
		req.Path = fallback
	case strings.HasPrefix(raw, "/"):
		req.Path = raw
	default:
		req.URL = raw
		if moved := onProject(env, raw); moved != raw && !sameOrigin(raw, env.Client.BaseURL()) {
			req.URL = moved
		}
	}
	return req
}

func sameOrigin(a, b string) bool {
	ua, err1 := url.Parse(a)
	ub, err2 := url.Parse(b)
	return err1 == nil && err2 == nil && strings.EqualFold(ua.Scheme, ub.Scheme) && strings.EqualFold(ua.Host, ub.Host)
}

// openLocal checks and opens a local file to upload.
func openLocal(env *tools.Env, given string) (*os.File, fs.FileInfo, error) {
	p, err := tools.LocalPath(env, given)
	if err != nil {
		return nil, nil, err
	}
	info, err := os.Stat(p)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		msg := tools.MissingLocal(env, "file", given, p,
			"This server is reached over HTTP and may run on another machine than yours, so it cannot read files from your computer: pass the text as content instead (for a text file), or run insforge-mcp locally over stdio to upload local files", "")
		return nil, nil, tools.Errorf("%s. Nothing was uploaded.", msg)
	case err != nil:
		return nil, nil, tools.Errorf("cannot read %s: %v. Nothing was uploaded.", p, err)
	case info.IsDir():
		return nil, nil, tools.Errorf("%s is a directory; upload-object takes one file at a time. Nothing was uploaded.", p)
	case !info.Mode().IsRegular():
		return nil, nil, tools.Errorf("%s is not a regular file (a device, socket or pipe); give the path of a file. Nothing was uploaded.", p)
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, nil, tools.Errorf("cannot open %s: %v. Nothing was uploaded.", p, err)
	}
	return f, info, nil
}

// typeByExt guesses a MIME type from the key's extension, else the
// file's.
func typeByExt(key, file string) string {
	for _, name := range []string{key, file} {
		if ext := path.Ext(name); ext != "" {
			if t := mime.TypeByExtension(strings.ToLower(ext)); t != "" {
				return t
			}
		}
	}
	return ""
}

// progress reports how much of the payload has been read, at most
// every MiB and once at the end.
type progress struct {
	r      io.Reader
	total  int64
	read   int64
	last   int64
	report func(progress, total float64, message string)
}

func (p *progress) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	p.read += int64(n)
	if p.read-p.last >= 1<<20 || (err == io.EOF && p.read != p.last) {
		p.last = p.read
		p.report(float64(p.read), float64(p.total), fmt.Sprintf("uploaded %d of %d bytes", p.read, p.total))
	}
	return n, err
}

// ---- download ----

func downloadObject(ctx context.Context, env *tools.Env, in DownloadObjectInput) (*tools.Result, error) {
	if err := checkBucket(in.Bucket, "bucket"); err != nil {
		return nil, err
	}
	if err := checkKey(in.Key, "key"); err != nil {
		return nil, err
	}
	dest := ""
	if in.DestinationPath != "" {
		var err error
		if dest, err = destination(env, in.DestinationPath, in.Key); err != nil {
			return nil, err
		}
	}
	s, err := fetchStrategy(ctx, env, in.Bucket, in.Key, nil)
	if err != nil {
		return nil, err
	}
	objectPath := bucketPath(in.Bucket) + "/objects/" + escapeKey(in.Key)
	var req insforge.Request
	if s.Method == "presigned" {
		// A signed URL carries its own authorization: never send the key.
		req = insforge.Request{Method: http.MethodGet, URL: s.URL, NoAuth: true, Header: http.Header{}}
	} else {
		req = request(env, http.MethodGet, s.URL, objectPath)
	}
	for k, v := range s.Headers {
		req.Header.Set(k, v)
	}
	name := fmt.Sprintf("%q in bucket %q", in.Key, in.Bucket)

	if dest == "" {
		w := &capped{max: inlineMax}
		req.Sink = w
		_, resp, err := insforge.Call[struct{}](ctx, env.Client, req)
		if errors.Is(err, errTooBig) {
			return nil, tools.Errorf("Object %s is larger than 64 KiB, too big to return inline. Pass destinationPath to save it to a file.", name)
		}
		if err != nil {
			return nil, fetchError(err, name)
		}
		data := w.buf.Bytes()
		ct := resp.Header.Get("Content-Type")
		if !isText(ct, data) {
			if ct == "" {
				ct = "unknown type"
			}
			return nil, tools.Errorf("Object %s is binary (%s, %d bytes), so it cannot be shown inline. Pass destinationPath to save it to a file.", name, ct, len(data))
		}
		summary := fmt.Sprintf("Content of %s (%d bytes, %s):", name, len(data), ct)
		if len(data) == 0 {
			summary = fmt.Sprintf("Object %s is empty.", name)
		}
		return tools.Found(summary, string(data)), nil
	}

	n, ct, err := saveFile(ctx, env, req, dest)
	if err != nil {
		return nil, fetchError(err, name)
	}
	summary := fmt.Sprintf("Saved %s to %s (%d bytes", name, dest, n)
	if ct != "" {
		summary += ", " + ct
	}
	summary += ")."
	if env.Config.Remote {
		summary += " This server is reached over HTTP, so the file is on the machine running it, which may not be the user's computer."
	}
	return tools.Say("%s", summary), nil
}

// fetchError explains a failed object download.
func fetchError(err error, name string) error {
	if isCode(err, http.StatusNotFound, "") {
		return tools.Errorf("Object %s was not found when downloading it (it may have just been deleted). list-objects shows the keys.", name)
	}
	var ae *insforge.Error
	if errors.As(err, &ae) && ae.NotJSON && ae.Status == http.StatusForbidden {
		return tools.Errorf("The storage provider refused the signed download of %s (403): the link may have expired; run download-object again.", name)
	}
	return err
}

// destination resolves destinationPath to the file to write.
func destination(env *tools.Env, given, key string) (string, error) {
	p, err := tools.LocalPath(env, given)
	if err != nil {
		return "", err
	}
	info, err := os.Stat(p)
	switch {
	case err == nil && info.IsDir(), err != nil && (strings.HasSuffix(given, "/") || strings.HasSuffix(given, string(filepath.Separator))):
		p = filepath.Join(p, path.Base(key))
		if info, err = os.Stat(p); err == nil && info.IsDir() {
			return "", tools.Errorf("%s is a directory; give destinationPath as a file path", p)
		}
	}
	if err == nil && !info.Mode().IsRegular() {
		return "", tools.Errorf("%s exists and is not a regular file; choose another destinationPath", p)
	}
	return p, nil
}

// saveFile streams the response into dest through a temporary file
// in the same folder, renamed over dest once complete.
func saveFile(ctx context.Context, env *tools.Env, req insforge.Request, dest string) (int64, string, error) {
	dir := filepath.Dir(dest)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return 0, "", tools.Errorf("cannot create the folder %s: %v", dir, err)
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(dest)+".*.part")
	if err != nil {
		return 0, "", tools.Errorf("cannot write in %s: %v", dir, err)
	}
	defer os.Remove(tmp.Name()) // after a successful rename there is nothing left to remove
	cw := &counter{w: tmp}
	req.Sink = cw
	_, resp, err := insforge.Call[struct{}](ctx, env.Client, req)
	if cerr := tmp.Close(); err == nil && cerr != nil {
		err = tools.Errorf("cannot write %s: %v", dest, cerr)
	}
	if err != nil {
		return 0, "", err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return 0, "", tools.Errorf("cannot write %s: %v", dest, err)
	}
	if err := os.Rename(tmp.Name(), dest); err != nil {
		return 0, "", tools.Errorf("cannot write %s: %v", dest, err)
	}
	return cw.n, resp.Header.Get("Content-Type"), nil
}

type counter struct {
	w io.Writer
	n int64
}

func (c *counter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

var errTooBig = errors.New("object larger than the inline limit")

// capped buffers up to max bytes and fails beyond, which stops the
// download.
type capped struct {
	buf bytes.Buffer
	max int
}

func (c *capped) Write(p []byte) (int, error) {
	if c.buf.Len()+len(p) > c.max {
		return 0, errTooBig
	}
	return c.buf.Write(p)
}

// isText reports whether an object can be shown as text: a textual
// MIME type, or no useful type (the backend stores HTML, XML and scripts as
// application/octet-stream) and bytes that are UTF-8 without NULs. It must
// be valid UTF-8 either way.
func isText(contentType string, data []byte) bool {
	if !utf8.Valid(data) {
		return false
	}
	mt, _, _ := mime.ParseMediaType(contentType)
	mt = strings.ToLower(mt)
	switch {
	case strings.HasPrefix(mt, "text/"),
		strings.HasSuffix(mt, "json"), strings.HasSuffix(mt, "+xml"), strings.HasSuffix(mt, "/xml"),
		strings.HasSuffix(mt, "yaml"), strings.HasSuffix(mt, "javascript"), strings.HasSuffix(mt, "ecmascript"),
		mt == "application/csv", mt == "application/sql", mt == "application/toml", mt == "application/x-sh":
		return true
	case mt == "", mt == "application/octet-stream", mt == "binary/octet-stream":
		return !bytes.ContainsRune(data, 0)
	}
	return false
}
