package tools

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
)

// Moving bytes for create-deployment: hashing, the direct upload pool with
// retries, the legacy zip streamed to a presigned form, and progress.

// deployTuning holds the knobs of the upload and wait loops; tests shorten
// the waits (deploy_export_test.go).
var deployTuning = struct {
	workers       int           // concurrent file uploads
	largeFile     int64         // files above this size are uploaded one at a time
	attempts      int           // tries per file (1 + retries)
	retryWait     time.Duration // first backoff step; doubles per retry
	maxRetryWait  time.Duration // cap of a Retry-After we honour
	pollFirst     time.Duration // first wait between status polls
	pollMax       time.Duration // longest wait between status polls
	cancelTimeout time.Duration // budget of the cancel call after the request ended
	progressGap   time.Duration // least time between two ordinary progress notifications
	limits        deployLimits
}{
	workers:       4,
	largeFile:     8 << 20,
	attempts:      3,
	retryWait:     500 * time.Millisecond,
	maxRetryWait:  10 * time.Second,
	pollFirst:     2 * time.Second,
	pollMax:       5 * time.Second,
	cancelTimeout: 15 * time.Second,
	progressGap:   100 * time.Millisecond,
	limits:        deployDefaultLimits,
}

// ---- progress ----

// deployProgress turns the work of one create-deployment call into
// notifications/progress: a single value that only grows, with a total while
// the amount of work is known (hashing and uploading) and without one while
// the build runs. Besides the milestones (start, end of each phase, status
// changes) it sends at most one notification per deployTuning.progressGap
// and per percent, so that thousands of files do not flood the client
// (MCP servers drop notifications their client does not read fast enough).
type deployProgress struct {
	mu     sync.Mutex
	report func(progress, total float64, message string)
	done   float64
	total  float64
	last   float64
	lastAt time.Time
	sent   bool
}

// add counts units of work and notifies on a milestone (force) or when
// enough work and time passed since the last notification.
func (p *deployProgress) add(units float64, force bool, msg func() string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done += units
	if p.sent && p.done <= p.last {
		return
	}
	if !force && (p.total <= 0 || p.done-p.last < p.total/100 || time.Since(p.lastAt) < deployTuning.progressGap) {
		return
	}
	p.last, p.lastAt, p.sent = p.done, time.Now(), true
	p.report(p.done, p.total, msg())
}

// setTotal changes the total (0: unknown from now on).
func (p *deployProgress) setTotal(total float64) {
	p.mu.Lock()
	p.total = total
	p.mu.Unlock()
}

// extendTotal sets the total to the work done so far plus n more units.
func (p *deployProgress) extendTotal(n float64) {
	p.mu.Lock()
	p.total = p.done + n
	p.mu.Unlock()
}

// step reports one event of unknown extent (a status change).
func (p *deployProgress) step(msg string) {
	p.setTotal(0)
	p.add(1, true, func() string { return msg })
}

// finish reports the end: progress equals total.
func (p *deployProgress) finish(msg string) {
	p.mu.Lock()
	p.done++
	p.total = p.done
	p.last, p.sent = p.done, true
	p.report(p.done, p.total, msg)
	p.mu.Unlock()
}

// deployUnits is the weight of the files in progress units: their bytes
// plus one per file, so that empty files count too.
func deployUnits(files []*deployFile) float64 {
	var u float64
	for _, f := range files {
		u += float64(f.Size + 1)
	}
	return u
}

// ---- hashing ----

// deployHashAll computes SHA-1 (for the manifest) and CRC-32 (for the
// legacy zip) of every file, streaming each through one reused buffer.
func deployHashAll(ctx context.Context, files []*deployFile, prog *deployProgress) error {
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
			return Errorf("cannot read %s: %v. Nothing was uploaded.", f.Path, deployErrText(err))
		}
		sh, cr := sha1.New(), crc32.NewIEEE()
		counter := &deployCountWriter{fn: func(n int) {
			hashed += int64(n)
			prog.add(float64(n), false, func() string {
				return fmt.Sprintf("Hashing files: %d of %d (%s of %s)", i, len(files), deployBytes(hashed), deployBytes(total))
			})
		}}
		// struct{io.Reader} hides os.File's WriterTo, which would allocate a
		// buffer per file instead of using ours.
		n, err := io.CopyBuffer(io.MultiWriter(sh, cr, counter), struct{ io.Reader }{fh}, buf)
		fh.Close()
		if err != nil {
			return Errorf("cannot read %s: %v. Nothing was uploaded.", f.Path, deployErrText(err))
		}
		if n != f.Size {
			return Errorf("%s changed while it was being read (%d bytes instead of %d). Wait until nothing writes into the folder (stop dev servers and builds) and call create-deployment again. Nothing was uploaded.", f.Path, n, f.Size)
		}
		f.SHA = hex.EncodeToString(sh.Sum(nil))
		f.crc = cr.Sum32()
		prog.add(1, i+1 == len(files), func() string {
			return fmt.Sprintf("Hashing files: %d of %d (%s of %s)", i+1, len(files), deployBytes(hashed), deployBytes(total))
		})
	}
	return nil
}

type deployCountWriter struct{ fn func(int) }

func (w *deployCountWriter) Write(p []byte) (int, error) {
	w.fn(len(p))
	return len(p), nil
}

// ---- direct upload ----

// deployUploadAll uploads every file with a bounded pool of workers. The
// first failure that retries cannot fix stops the others and is returned.
func deployUploadAll(ctx context.Context, env *Env, id string, files []*deployFile, fileIDs map[string]string, prog *deployProgress) error {
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
		return fmt.Sprintf("Uploading files: %d of %d uploaded (%s of %s)", uploaded, len(files), deployBytes(sentBytes), deployBytes(total))
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
	jobs := make(chan *deployFile)
	var wg sync.WaitGroup
	for range min(deployTuning.workers, len(files)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for f := range jobs {
				isLarge := f.Size > deployTuning.largeFile
				if isLarge {
					large.Lock()
				}
				err := deployUploadOne(ctx, env, id, fileIDs[f.Path], f, onBytes)
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

// deployUploadOne uploads one file, re-opening it for each attempt, with
// bounded retries and exponential backoff on transient failures.
func deployUploadOne(ctx context.Context, env *Env, id, fileID string, f *deployFile, onBytes func(int64)) error {
	if fileID == "" {
		return Errorf("the backend did not return a file id for %s; call create-deployment again", f.Path)
	}
	var err error
	for attempt := 1; ; attempt++ {
		err = deployPutFile(ctx, env, id, fileID, f, onBytes)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
		if attempt >= deployTuning.attempts || !deployRetryable(err) {
			break
		}
		wait := deployTuning.retryWait << (attempt - 1)
		var ae *insforge.Error
		if errors.As(err, &ae) && ae.RetryAfter > 0 {
			wait = min(ae.RetryAfter, deployTuning.maxRetryWait)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return context.Cause(ctx)
		case <-t.C:
		}
	}
	var ue *UserError
	if errors.As(err, &ue) {
		return err
	}
	return &deployFileError{path: f.Path, attempts: deployTuning.attempts, err: err}
}

// deployFileError is an upload that failed for good.
type deployFileError struct {
	path     string
	attempts int
	err      error
}

func (e *deployFileError) Error() string { return "upload of " + e.path + ": " + e.err.Error() }
func (e *deployFileError) Unwrap() error { return e.err }

// deployPutFile streams one file to PUT …/files/{fileId}/content.
func deployPutFile(ctx context.Context, env *Env, id, fileID string, f *deployFile, onBytes func(int64)) error {
	fh, err := os.Open(f.abs)
	if err != nil {
		return Errorf("cannot read %s: %v; the deployment was not started", f.Path, deployErrText(err))
	}
	defer fh.Close()
	f.sent = 0
	body := &deployUploadReader{r: io.LimitReader(fh, f.Size), f: f, onBytes: onBytes}
	_, err = env.Client.Do(ctx, insforge.Request{
		Method:        http.MethodPut,
		Path:          "/api/deployments/" + url.PathEscape(id) + "/files/" + url.PathEscape(fileID) + "/content",
		Body:          body,
		ContentType:   "application/octet-stream",
		ContentLength: f.Size,
		Timeout:       deployTransferTimeout(f.Size),
	})
	if err != nil && body.short {
		return Errorf("%s changed while it was being uploaded (it is now shorter than when it was hashed). Wait until nothing writes into the folder and call create-deployment again", f.Path)
	}
	return err
}

// deployTransferTimeout bounds one transfer of n bytes: a minute plus the
// time to send them at 256 KiB/s (about 2 Mbit/s), so that a large file on
// a slow link is not cut off by the API client's per-call timeout.
func deployTransferTimeout(n int64) time.Duration {
	return time.Minute + time.Duration(n/(256<<10))*time.Second
}

// deployUploadReader counts the bytes read by the HTTP client. Progress
// counts each byte of a file once even when an attempt is retried.
type deployUploadReader struct {
	r       io.Reader
	f       *deployFile
	onBytes func(int64)
	short   bool
}

func (u *deployUploadReader) Read(p []byte) (int, error) {
	n, err := u.r.Read(p)
	u.f.sent += int64(n)
	if u.f.sent > u.f.hwm {
		u.onBytes(u.f.sent - u.f.hwm)
		u.f.hwm = u.f.sent
	}
	if err == io.EOF && u.f.sent < u.f.Size {
		u.short = true
	}
	return n, err
}

// deployRetryable reports whether a failed upload is worth another try.
func deployRetryable(err error) bool {
	var ue *UserError
	if errors.As(err, &ue) {
		return false
	}
	switch insforge.StatusOf(err) {
	case http.StatusRequestTimeout, http.StatusTooManyRequests, http.StatusInternalServerError,
		http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	case 0:
		return errors.Is(err, insforge.ErrUnreachable)
	}
	return false
}

// ---- legacy zip flow ----

// deployLegacyForm is the multipart body of the presigned POST: the form's
// fields, then the zip (Store method, built while it is sent) as "file".
type deployLegacyForm struct {
	fields   [][2]string
	files    []*deployFile
	boundary string
}

func newDeployLegacyForm(fields map[string]string, files []*deployFile) *deployLegacyForm {
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
	form := &deployLegacyForm{files: files, boundary: multipart.NewWriter(io.Discard).Boundary()}
	for _, k := range keys {
		form.fields = append(form.fields, [2]string{k, fields[k]})
	}
	return form
}

func (l *deployLegacyForm) contentType() string {
	return "multipart/form-data; boundary=" + l.boundary
}

// write produces the body. With content false, file data is replaced by
// zeros of the same length: the output has the exact length of the real
// body, which is how the Content-Length is computed without reading files.
func (l *deployLegacyForm) write(w io.Writer, content bool) error {
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
		if !deployASCII(f.Path) {
			fh.Flags |= 0x800 // UTF-8 name
		}
		fh.ModifiedDate, fh.ModifiedTime = deployDOSTime(f.mod)
		ew, err := zw.CreateRaw(fh)
		if err != nil {
			return err
		}
		if !content {
			if _, err := io.CopyBuffer(ew, io.LimitReader(deployZeros{}, f.Size), buf); err != nil {
				return err
			}
			continue
		}
		if err := deployCopyChecked(ew, f, buf); err != nil {
			return err
		}
	}
	if err := zw.Close(); err != nil {
		return err
	}
	return mw.Close()
}

// deployCopyChecked copies exactly f.Size bytes of f and fails when the
// content is no longer what was hashed (the zip would be corrupt).
func deployCopyChecked(w io.Writer, f *deployFile, buf []byte) error {
	fh, err := os.Open(f.abs)
	if err != nil {
		return Errorf("cannot read %s: %v", f.Path, deployErrText(err))
	}
	defer fh.Close()
	cr := crc32.NewIEEE()
	n, err := io.CopyBuffer(io.MultiWriter(w, cr), io.LimitReader(struct{ io.Reader }{fh}, f.Size), buf)
	if err != nil {
		return err
	}
	if n != f.Size || cr.Sum32() != f.crc {
		return Errorf("%s changed while it was being uploaded. Wait until nothing writes into the folder and call create-deployment again", f.Path)
	}
	return nil
}

type deployZeros struct{}

func (deployZeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

func deployASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// deployDOSTime encodes t for a zip header (MS-DOS date and time, local
// fields as given; 1980 at the earliest).
func deployDOSTime(t time.Time) (date, tm uint16) {
	if t.Year() < 1980 {
		t = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	date = uint16(t.Day() + int(t.Month())<<5 + (t.Year()-1980)<<9)
	tm = uint16(t.Second()/2 + t.Minute()<<5 + t.Hour()<<11)
	return date, tm
}

// deployLegacyUpload streams the form to the presigned URL.
func deployLegacyUpload(ctx context.Context, env *Env, uploadURL string, form *deployLegacyForm, prog *deployProgress) error {
	var length deployCounter
	if err := form.write(&length, false); err != nil {
		return err
	}
	if deployTuning.limits.maxTotal > 0 && int64(length) > deployTuning.limits.maxTotal {
		return Errorf("the source zip would be %s, more than the %s the backend accepts. Exclude large files in .gitignore or deploy a smaller folder", deployBytes(int64(length)), deployBytes(deployTuning.limits.maxTotal))
	}
	prog.extendTotal(float64(length))
	pr, pw := io.Pipe()
	done := make(chan struct{})
	var sent int64
	var writeErr error
	go func() {
		defer close(done)
		cw := &deployCountWriter{fn: func(n int) {
			sent += int64(n)
			prog.add(float64(n), false, func() string {
				return fmt.Sprintf("Uploading the source zip: %s of %s", deployBytes(sent), deployBytes(int64(length)))
			})
		}}
		writeErr = form.write(io.MultiWriter(pw, cw), true)
		pw.CloseWithError(writeErr)
	}()
	// The form carries its own credentials: the admin key is never sent,
	// even if storage shares the project's origin. The exact length is
	// declared, as S3-style stores require for form uploads.
	_, err := env.Client.Do(ctx, insforge.Request{
		Method:        http.MethodPost,
		URL:           uploadURL,
		NoAuth:        true,
		Body:          pr,
		ContentType:   form.contentType(),
		ContentLength: int64(length),
		Timeout:       deployTransferTimeout(int64(length)),
	})
	pr.CloseWithError(errors.New("request finished"))
	<-done
	if err != nil {
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
		var ue *UserError
		if errors.As(writeErr, &ue) {
			return ue // a file changed while it was being sent
		}
		var ae *insforge.Error
		if errors.As(err, &ae) {
			detail := ae.Message
			if ae.NotJSON {
				detail = http.StatusText(ae.Status)
			}
			hint := ""
			if ae.Status == http.StatusForbidden {
				hint = " (the presigned form may have expired)"
			}
			return fmt.Errorf("the storage service refused the source zip with HTTP %d %s%s", ae.Status, detail, hint)
		}
		return fmt.Errorf("upload of the source zip to storage failed: %s", Explain(err))
	}
	prog.add(0, true, func() string {
		return fmt.Sprintf("Uploaded the source zip (%s)", deployBytes(int64(length)))
	})
	return nil
}

type deployCounter int64

func (c *deployCounter) Write(p []byte) (int, error) {
	*c += deployCounter(len(p))
	return len(p), nil
}
