package deployments

import (
	"archive/zip"
	"context"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"sort"
	"sync"
	"time"

	"github.com/insforge-mcp/insforge-mcp/insforge"
	"github.com/insforge-mcp/insforge-mcp/tools"
)

// Moving bytes for create-deployment: hashing, the direct upload pool with
// retries, the legacy zip streamed to a presigned form, and progress.

// tuning holds the knobs of the upload and wait loops. It is a package
// variable because the tools are built without arguments (the catalogue
// lists constructors) and the handlers get no per-server settings of their
// own: tests shorten the waits and lower the limits through
// export_test.go, and nothing else changes it.
var tuning = struct {
	workers       int           // concurrent file uploads
	largeFile     int64         // files above this size are uploaded one at a time
	attempts      int           // tries per file (1 + retries)
	pollFirst     time.Duration // first wait between status polls
	pollMax       time.Duration // longest wait between status polls
	cancelTimeout time.Duration // budget of the cancel call after the request ended
	progressGap   time.Duration // least time between two ordinary progress notifications
	limits        limits
}{
	workers:       4,
	largeFile:     8 << 20,
	attempts:      3,
	pollFirst:     2 * time.Second,
	pollMax:       5 * time.Second,
	cancelTimeout: 15 * time.Second,
	progressGap:   100 * time.Millisecond,
	limits:        defaultLimits,
}

// ---- progress ----

// progress turns the work of one create-deployment call into
// notifications/progress: a single value that only grows, with a total while
// the amount of work is known (hashing and uploading) and without one while
// the build runs. Besides the milestones (start, end of each phase, status
// changes) it sends at most one notification per tuning.progressGap
// and per percent, so that thousands of files do not flood the client
// (MCP servers drop notifications their client does not read fast enough).
type progress struct {
	mu     sync.Mutex
	report func(done, total float64, message string)
	done   float64
	total  float64
	last   float64
	lastAt time.Time
	sent   bool
}

// add counts units of work and notifies on a milestone (force) or when
// enough work and time passed since the last notification.
func (p *progress) add(units float64, force bool, msg func() string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done += units
	if p.sent && p.done <= p.last {
		return
	}
	if !force && (p.total <= 0 || p.done-p.last < p.total/100 || time.Since(p.lastAt) < tuning.progressGap) {
		return
	}
	p.last, p.lastAt, p.sent = p.done, time.Now(), true
	p.report(p.done, p.total, msg())
}

// setTotal changes the total (0: unknown from now on).
func (p *progress) setTotal(total float64) {
	p.mu.Lock()
	p.total = total
	p.mu.Unlock()
}

// extendTotal sets the total to the work done so far plus n more units.
func (p *progress) extendTotal(n float64) {
	p.mu.Lock()
	p.total = p.done + n
	p.mu.Unlock()
}

// step reports one event of unknown extent (a status change).
func (p *progress) step(msg string) {
	p.setTotal(0)
	p.add(1, true, func() string { return msg })
}

// finish reports the end: progress equals total.
func (p *progress) finish(msg string) {
	p.mu.Lock()
	p.done++
	p.total = p.done
	p.last, p.sent = p.done, true
	p.report(p.done, p.total, msg)
	p.mu.Unlock()
}

// weight is the weight of the files in progress units: their bytes
// plus one per file, so that empty files count too.
func weight(files []*file) float64 {
	var u float64
	for _, f := range files {
		u += float64(f.Size + 1)
	}
	return u
}

// ---- hashing ----

// hashAll computes SHA-1 (for the manifest) and CRC-32 (for the
// legacy zip) of every file, streaming each through one reused buffer.
func hashAll(ctx context.Context, files []*file, prog *progress) error {
	buf := make([]byte, 128<<10)
	var total, hashed int64
	for _, f := range files {
		total += f.Size
	}
	for i, f := range files {
		if err := ctx.Err(); err != nil {
			return err
		}
		fh, err := os.Open(f.abs)
		if err != nil {
			return tools.Errorf("cannot read %s: %v. Nothing was uploaded.", f.Path, errText(err))
		}
		sh, cr := sha1.New(), crc32.NewIEEE()
		counter := &countWriter{fn: func(n int) {
			hashed += int64(n)
			prog.add(float64(n), false, func() string {
				return fmt.Sprintf("Hashing files: %d of %d (%s of %s)", i, len(files), humanBytes(hashed), humanBytes(total))
			})
		}}
		// struct{io.Reader} hides os.File's WriterTo, which would allocate a
		// buffer per file instead of using ours.
		n, err := io.CopyBuffer(io.MultiWriter(sh, cr, counter), struct{ io.Reader }{fh}, buf)
		fh.Close()
		if err != nil {
			return tools.Errorf("cannot read %s: %v. Nothing was uploaded.", f.Path, errText(err))
		}
		if n != f.Size {
			return tools.Errorf("%s changed while it was being read (%d bytes instead of %d). Wait until nothing writes into the folder (stop dev servers and builds) and call create-deployment again. Nothing was uploaded.", f.Path, n, f.Size)
		}
		f.SHA = hex.EncodeToString(sh.Sum(nil))
		f.crc = cr.Sum32()
		prog.add(1, i+1 == len(files), func() string {
			return fmt.Sprintf("Hashing files: %d of %d (%s of %s)", i+1, len(files), humanBytes(hashed), humanBytes(total))
		})
	}
	return nil
}

type countWriter struct{ fn func(int) }

func (w *countWriter) Write(p []byte) (int, error) {
	w.fn(len(p))
	return len(p), nil
}

// ---- direct upload ----

// uploadAll uploads every file with a bounded pool of workers. The
// first failure that retries cannot fix stops the others and is returned.
func uploadAll(ctx context.Context, env *tools.Env, id string, files []*file, fileIDs map[string]string, prog *progress) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var (
		mu        sync.Mutex
		firstErr  error
		uploaded  int
		sentBytes int64
		total     int64
	)
	for _, f := range files {
		total += f.Size
	}
	message := func() string {
		return fmt.Sprintf("Uploading files: %d of %d uploaded (%s of %s)", uploaded, len(files), humanBytes(sentBytes), humanBytes(total))
	}
	onBytes := func(n int64) {
		mu.Lock()
		sentBytes += n
		mu.Unlock()
		prog.add(float64(n), false, func() string {
			mu.Lock()
			defer mu.Unlock()
			return message()
		})
	}
	// Large files go one at a time: parallel transfers of small files hide
	// per-request latency, while parallel large ones only compete for the
	// same link (and each would risk its own transfer timeout).
	var large sync.Mutex
	jobs := make(chan *file)
	var wg sync.WaitGroup
	for range min(tuning.workers, len(files)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for f := range jobs {
				isLarge := f.Size > tuning.largeFile
				if isLarge {
					large.Lock()
				}
				err := uploadOne(ctx, env, id, fileIDs[f.Path], f, onBytes)
				if isLarge {
					large.Unlock()
				}
				if err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
					cancel(err)
					return
				}
				mu.Lock()
				uploaded++
				force := uploaded == len(files)
				mu.Unlock()
				prog.add(1, force, func() string {
					mu.Lock()
					defer mu.Unlock()
					return message()
				})
			}
		}()
	}
feed:
	for _, f := range files {
		select {
		case jobs <- f:
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	return ctx.Err()
}

// uploadOne streams one file to PUT …/files/{fileId}/content. The client
// re-opens the file for each attempt and retries what is worth another try
// (see retryUpload), tuning.attempts tries in all.
func uploadOne(ctx context.Context, env *tools.Env, id, fileID string, f *file, onBytes func(int64)) error {
	if fileID == "" {
		return tools.Errorf("the backend did not return a file id for %s; call create-deployment again", f.Path)
	}
	up := &upload{f: f, onBytes: onBytes}
	_, _, err := insforge.Call[struct{}](ctx, env.Client, insforge.Request{
		Method:        http.MethodPut,
		Path:          "/api/deployments/" + url.PathEscape(id) + "/files/" + url.PathEscape(fileID) + "/content",
		Open:          up.open,
		ContentType:   "application/octet-stream",
		ContentLength: f.Size,
		Idempotent:    true,
		Retries:       tuning.attempts - 1,
		RetryIf:       retryUpload,
		// Each attempt gets the time a transfer of the file may take.
		Timeout: time.Duration(tuning.attempts) * transferTimeout(f.Size),
	})
	switch {
	case err == nil:
		return nil
	case ctx.Err() != nil:
		return context.Cause(ctx)
	case up.wasShort():
		return up.changed()
	}
	var ue *tools.UserError
	if errors.As(err, &ue) {
		return err
	}
	return &fileError{path: f.Path, attempts: tuning.attempts, err: err}
}

// retryUpload reports whether an upload's error answer is worth another
// try. Besides what the client retries for an idempotent request, an
// upload retries a timeout (408), a server error (500), and the gateway
// errors even when the backend wrote them itself: its own upload to the
// hosting provider may have failed on the way.
func retryUpload(e *insforge.Error) bool {
	switch e.Status {
	case http.StatusRequestTimeout, http.StatusTooManyRequests, http.StatusInternalServerError,
		http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// fileError is an upload that failed for good.
type fileError struct {
	path     string
	attempts int
	err      error
}

func (e *fileError) Error() string { return "upload of " + e.path + ": " + e.err.Error() }
func (e *fileError) Unwrap() error { return e.err }

// transferTimeout bounds one transfer of n bytes: a minute plus the
// time to send them at 256 KiB/s (about 2 Mbit/s), so that a large file on
// a slow link is not cut off by the API client's per-call timeout.
func transferTimeout(n int64) time.Duration {
	return time.Minute + time.Duration(n/(256<<10))*time.Second
}

// upload is the transfer of one file over all its attempts. Progress
// counts each byte of the file once even when an attempt is retried: an
// attempt reports only the bytes beyond the most that any attempt sent.
type upload struct {
	f       *file
	onBytes func(int64)
	mu      sync.Mutex
	hwm     int64 // most bytes of the file counted as progress
	short   bool  // an attempt found the file shorter than when it was hashed
}

// open starts one attempt: the file from its start. A file found shorter
// by an earlier attempt is not sent again.
func (u *upload) open() (io.ReadCloser, error) {
	if u.wasShort() {
		return nil, u.changed()
	}
	fh, err := os.Open(u.f.abs)
	if err != nil {
		return nil, tools.Errorf("cannot read %s: %v; the deployment was not started", u.f.Path, errText(err))
	}
	return &uploadReader{r: io.LimitReader(fh, u.f.Size), fh: fh, u: u}, nil
}

// counted records that an attempt has sent sent bytes and reports the new ones.
func (u *upload) counted(sent int64) {
	u.mu.Lock()
	var n int64
	if sent > u.hwm {
		n, u.hwm = sent-u.hwm, sent
	}
	u.mu.Unlock()
	if n > 0 {
		u.onBytes(n)
	}
}

func (u *upload) wasShort() bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.short
}

func (u *upload) changed() error {
	return tools.Errorf("%s changed while it was being uploaded (it is now shorter than when it was hashed). Wait until nothing writes into the folder and call create-deployment again", u.f.Path)
}

// uploadReader is one attempt's body: it counts the bytes read by the
// HTTP client.
type uploadReader struct {
	r    io.Reader
	fh   *os.File
	u    *upload
	sent int64 // bytes read by this attempt
}

func (r *uploadReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	r.sent += int64(n)
	r.u.counted(r.sent)
	if err == io.EOF && r.sent < r.u.f.Size {
		r.u.mu.Lock()
		r.u.short = true
		r.u.mu.Unlock()
	}
	return n, err
}

func (r *uploadReader) Close() error { return r.fh.Close() }

// ---- legacy zip flow ----

// legacyForm is the multipart body of the presigned POST: the form's
// fields, then the zip (Store method, built while it is sent) as "file".
type legacyForm struct {
	fields   [][2]string
	files    []*file
	boundary string
}

func newLegacyForm(fields map[string]string, files []*file) *legacyForm {
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	// "key" first, as S3 documents; the rest in a stable order.
	sort.Slice(keys, func(i, j int) bool {
		if (keys[i] == "key") != (keys[j] == "key") {
			return keys[i] == "key"
		}
		return keys[i] < keys[j]
	})
	form := &legacyForm{files: files, boundary: multipart.NewWriter(io.Discard).Boundary()}
	for _, k := range keys {
		form.fields = append(form.fields, [2]string{k, fields[k]})
	}
	return form
}

func (l *legacyForm) contentType() string {
	return "multipart/form-data; boundary=" + l.boundary
}

// write produces the body. With content false, file data is replaced by
// zeros of the same length: the output has the exact length of the real
// body, which is how the Content-Length is computed without reading files.
func (l *legacyForm) write(w io.Writer, content bool) error {
	mw := multipart.NewWriter(w)
	if err := mw.SetBoundary(l.boundary); err != nil {
		return err
	}
	for _, kv := range l.fields {
		if err := mw.WriteField(kv[0], kv[1]); err != nil {
			return err
		}
	}
	part, err := mw.CreateFormFile("file", "source.zip")
	if err != nil {
		return err
	}
	zw := zip.NewWriter(part)
	buf := make([]byte, 128<<10)
	for _, f := range l.files {
		fh := &zip.FileHeader{
			Name:               f.Path,
			Method:             zip.Store,
			CRC32:              f.crc,
			CompressedSize64:   uint64(f.Size),
			UncompressedSize64: uint64(f.Size),
		}
		fh.SetMode(0o644)
		fh.ReaderVersion = 20
		fh.CreatorVersion = fh.CreatorVersion&0xff00 | 20
		if !isASCII(f.Path) {
			fh.Flags |= 0x800 // UTF-8 name
		}
		fh.ModifiedDate, fh.ModifiedTime = dosTime(f.mod)
		ew, err := zw.CreateRaw(fh)
		if err != nil {
			return err
		}
		if !content {
			if _, err := io.CopyBuffer(ew, io.LimitReader(zeros{}, f.Size), buf); err != nil {
				return err
			}
			continue
		}
		if err := copyChecked(ew, f, buf); err != nil {
			return err
		}
	}
	if err := zw.Close(); err != nil {
		return err
	}
	return mw.Close()
}

// copyChecked copies exactly f.Size bytes of f and fails when the
// content is no longer what was hashed (the zip would be corrupt).
func copyChecked(w io.Writer, f *file, buf []byte) error {
	fh, err := os.Open(f.abs)
	if err != nil {
		return tools.Errorf("cannot read %s: %v", f.Path, errText(err))
	}
	defer fh.Close()
	cr := crc32.NewIEEE()
	n, err := io.CopyBuffer(io.MultiWriter(w, cr), io.LimitReader(struct{ io.Reader }{fh}, f.Size), buf)
	if err != nil {
		return err
	}
	if n != f.Size || cr.Sum32() != f.crc {
		return tools.Errorf("%s changed while it was being uploaded. Wait until nothing writes into the folder and call create-deployment again", f.Path)
	}
	return nil
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// dosTime encodes t for a zip header (MS-DOS date and time, local
// fields as given; 1980 at the earliest).
func dosTime(t time.Time) (date, tm uint16) {
	if t.Year() < 1980 {
		t = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	date = uint16(t.Day() + int(t.Month())<<5 + (t.Year()-1980)<<9)
	tm = uint16(t.Second()/2 + t.Minute()<<5 + t.Hour()<<11)
	return date, tm
}

// legacyUpload streams the form to the presigned URL.
func legacyUpload(ctx context.Context, env *tools.Env, uploadURL string, form *legacyForm, prog *progress) error {
	var length counter
	if err := form.write(&length, false); err != nil {
		return err
	}
	if tuning.limits.maxTotal > 0 && int64(length) > tuning.limits.maxTotal {
		return tools.Errorf("the source zip would be %s, more than the %s the backend accepts. Exclude large files in .gitignore or deploy a smaller folder", humanBytes(int64(length)), humanBytes(tuning.limits.maxTotal))
	}
	prog.extendTotal(float64(length))
	pr, pw := io.Pipe()
	done := make(chan struct{})
	var sent int64
	var writeErr error
	go func() {
		defer close(done)
		cw := &countWriter{fn: func(n int) {
			sent += int64(n)
			prog.add(float64(n), false, func() string {
				return fmt.Sprintf("Uploading the source zip: %s of %s", humanBytes(sent), humanBytes(int64(length)))
			})
		}}
		writeErr = form.write(io.MultiWriter(pw, cw), true)
		pw.CloseWithError(writeErr)
	}()
	// The form carries its own credentials: the admin key is never sent,
	// even if storage shares the project's origin. The exact length is
	// declared, as S3-style stores require for form uploads. The zip is
	// built while it is sent, so it can be sent only once.
	_, _, err := insforge.Call[struct{}](ctx, env.Client, insforge.Request{
		Method:        http.MethodPost,
		URL:           uploadURL,
		NoAuth:        true,
		Open:          func() (io.ReadCloser, error) { return io.NopCloser(pr), nil },
		NoRetry:       true,
		ContentType:   form.contentType(),
		ContentLength: int64(length),
		Timeout:       transferTimeout(int64(length)),
	})
	pr.CloseWithError(errors.New("request finished"))
	<-done
	if err != nil {
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
		var ue *tools.UserError
		if errors.As(writeErr, &ue) {
			return ue // a file changed while it was being sent
		}
		var ae *insforge.Error
		if errors.As(err, &ae) {
			detail := ae.Message
			if ae.NotJSON {
				detail = ""
			}
			hint := ""
			if ae.Status == http.StatusForbidden {
				hint = " (the presigned form may have expired)"
			}
			return fmt.Errorf("the storage service refused the source zip with HTTP %d %s%s%s", ae.Status, http.StatusText(ae.Status), hint, tools.Quote(detail))
		}
		return fmt.Errorf("upload of the source zip to storage failed: %s", tools.Explain(err))
	}
	prog.add(0, true, func() string {
		return fmt.Sprintf("Uploaded the source zip (%s)", humanBytes(int64(length)))
	})
	return nil
}

type counter int64

func (c *counter) Write(p []byte) (int, error) {
	*c += counter(len(p))
	return len(p), nil
}
