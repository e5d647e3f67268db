package deployments

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/insforge-mcp/insforge-mcp/clientlog"
	"github.com/insforge-mcp/insforge-mcp/insforge"
	"github.com/insforge-mcp/insforge-mcp/tools"
)

// The create-deployment flow: check the folder, hash its files, register
// them (POST /api/deployments/direct, or the legacy zip flow of
// POST /api/deployments on an older backend), upload them, start the build
// and wait for its outcome.

// runLocallyHint tells a remote client how to deploy a folder instead.
const runLocallyHint = "To deploy a local folder, run insforge-mcp on the user's own machine over stdio (its default transport: the MCP client starts the binary, e.g. `claude mcp add insforge -- insforge-mcp` with INSFORGE_PROJECT_URL and INSFORGE_API_KEY in its environment) and call create-deployment there"

// resolveDir checks sourceDirectory on this machine.
func resolveDir(env *tools.Env, dir string) (string, error) {
	dir = strings.TrimSpace(dir)
	if dir == "" {
		return "", tools.Errorf("sourceDirectory is empty: give the absolute path of the app's folder (where its package.json is)")
	}
	remote := env.Config.Remote
	if remote && env.Config.FilesRoot == "" {
		return "", tools.Errorf("This server is reached over HTTP (SSE or streamable HTTP) and may run on another machine, which cannot see the user's files, so it does not deploy folders for remote clients. %s. Nothing was uploaded.", runLocallyHint)
	}
	abs, err := tools.LocalPath(env, dir)
	if err != nil {
		return "", err
	}
	info, err := os.Stat(abs)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		msg := tools.MissingLocal(env, "sourceDirectory", dir, abs,
			"This server is reached over HTTP (SSE or streamable HTTP) and may run on another machine, which cannot see the user's files. "+runLocallyHint, "")
		return "", tools.Errorf("%s. Nothing was uploaded.", msg)
	case err != nil:
		return "", tools.Errorf("cannot read sourceDirectory %s: %v. Nothing was uploaded.", abs, errText(err))
	case !info.IsDir():
		return "", tools.Errorf("sourceDirectory %s is a file, not a folder; give the folder that holds the app. Nothing was uploaded.", abs)
	}
	return abs, nil
}

// deployment is one create-deployment call: its folder and progress, and
// the deployment once it exists.
type deployment struct {
	env   *tools.Env
	walk  *walk
	files []*file
	prog  *progress
	id    string
	mode  string // "direct" or "legacy"
}

// abort cancels the deployment after a failure or a cancelled request, with
// a context of its own (the request's may be done), and says what happened.
func (d *deployment) abort(ctx context.Context) string {
	if d.id == "" {
		return ""
	}
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), tuning.cancelTimeout)
	defer cancel()
	_, _, err := insforge.Call[struct{}](cctx, d.env.Client, insforge.Request{Method: http.MethodPost, Path: "/api/deployments/" + d.id + "/cancel"})
	if err != nil {
		return fmt.Sprintf(" Cancelling deployment %s failed as well (%s); cancel it with cancel-deployment.", d.id, tools.Explain(err))
	}
	return fmt.Sprintf(" Deployment %s was cancelled so that it does not stay half-done.", d.id)
}

// cancelled is the error of a request the client cancelled.
func (d *deployment) cancelled(ctx context.Context, phase string) error {
	return tools.Errorf("create-deployment was cancelled by the client while %s.%s", phase, d.abort(ctx))
}

func createDeployment(ctx context.Context, env *tools.Env, in CreateInput) (*tools.Result, error) {
	startBody, err := in.StartOptions.body()
	if err != nil {
		return nil, err
	}
	timeout := 600 * time.Second
	if in.WaitTimeoutSeconds != 0 {
		if in.WaitTimeoutSeconds < 10 || in.WaitTimeoutSeconds > 3600 {
			return nil, tools.Errorf("waitTimeoutSeconds must be between 10 and 3600 (got %d)", in.WaitTimeoutSeconds)
		}
		timeout = time.Duration(in.WaitTimeoutSeconds) * time.Second
	}
	wait := in.Wait == nil || *in.Wait

	d, err := prepare(ctx, env, in.SourceDirectory)
	if err != nil {
		return nil, err
	}
	if err := d.upload(ctx); err != nil {
		return nil, err
	}
	return d.build(ctx, startBody, wait, timeout)
}

// prepare walks and checks the folder and hashes its files; nothing is
// created or sent yet.
func prepare(ctx context.Context, env *tools.Env, sourceDirectory string) (*deployment, error) {
	dir, err := resolveDir(env, sourceDirectory)
	if err != nil {
		return nil, err
	}
	w, err := scan(dir)
	if err != nil {
		return nil, tools.Errorf("cannot read sourceDirectory %s: %v. Nothing was uploaded.", dir, errText(err))
	}
	if err := w.check(tuning.limits); err != nil {
		return nil, err
	}
	files, totalBytes := w.files, w.totalBytes()
	prog := &progress{report: env.Progress, total: 2 * weight(files)}
	prog.add(0, true, func() string {
		return fmt.Sprintf("Found %d files (%s) to deploy; %d entries left out", len(files), humanBytes(totalBytes), len(w.skipped))
	})
	d := &deployment{env: env, walk: w, files: files, prog: prog}
	if err := hashAll(ctx, files, prog); err != nil {
		if ctx.Err() != nil {
			return nil, d.cancelled(ctx, "hashing files (nothing was created)")
		}
		return nil, err
	}
	return d, nil
}

// upload creates the deployment and sends its files: the direct flow, or
// the legacy zip flow on a backend that predates it.
func (d *deployment) upload(ctx context.Context) error {
	manifest := make([]map[string]any, len(d.files))
	for i, f := range d.files {
		manifest[i] = map[string]any{"path": f.Path, "sha": f.SHA, "size": f.Size}
	}
	created, _, err := insforge.Call[struct {
		ID    string `json:"id"`
		Files []struct {
			Path   string `json:"path"`
			FileID string `json:"fileId"`
		} `json:"files"`
	}](ctx, d.env.Client, insforge.Request{Method: http.MethodPost, Path: "/api/deployments/direct", Body: map[string]any{"files": manifest}})
	switch {
	case err == nil:
		d.id, d.mode = created.ID, "direct"
		if _, err := checkID(d.id); err != nil {
			return fmt.Errorf("the backend answered POST /api/deployments/direct without a valid deployment id")
		}
		fileIDs := make(map[string]string, len(created.Files))
		for _, f := range created.Files {
			fileIDs[f.Path] = f.FileID
		}
		if err := uploadAll(ctx, d.env, d.id, d.files, fileIDs, d.prog); err != nil {
			if ctx.Err() != nil {
				return d.cancelled(ctx, "uploading files")
			}
			return uploadFailed(err, d.abort(ctx))
		}
		return nil
	case insforge.StatusOf(err) == http.StatusNotFound:
		return d.uploadLegacy(ctx)
	default:
		if ctx.Err() != nil {
			return d.cancelled(ctx, "registering the files")
		}
		return createFailed(err)
	}
}

// build starts the build and, when asked to, waits for its outcome.
func (d *deployment) build(ctx context.Context, startBody map[string]any, wait bool, timeout time.Duration) (*tools.Result, error) {
	raw, _, err := insforge.Call[any](ctx, d.env.Client, insforge.Request{Method: http.MethodPost, Path: "/api/deployments/" + d.id + "/start", Body: startBody})
	if err != nil {
		if ctx.Err() != nil {
			return nil, d.cancelled(ctx, "starting the build")
		}
		return nil, tools.Errorf("All %d files were uploaded, but starting the build failed: %s%s", len(d.files), tools.Explain(hostingErr(err, d.id)), d.abort(ctx))
	}
	rec := recordOf(raw)
	d.prog.step(fmt.Sprintf("Deployment %s is %s", d.id, statusWord(rec.Status)))
	clientlog.Logf(ctx, clientlog.Info, "Deployment %s: %d files uploaded, build started (%s).", d.id, len(d.files), statusWord(rec.Status))

	totalBytes := d.walk.totalBytes()
	result := map[string]any{
		"deploymentId":    d.id,
		"uploadMode":      d.mode,
		"sourceDirectory": d.walk.root,
		"files":           len(d.files),
		"bytes":           totalBytes,
	}
	skippedData(result, d.walk.skipped)
	uploaded := fmt.Sprintf("Uploaded %d files (%s) from %s", len(d.files), humanBytes(totalBytes), d.walk.root)
	if d.mode == "legacy" {
		uploaded += " as a zip (this backend has no direct upload flow)"
	}
	skipped := skippedSummary(d.walk.skipped)

	if !wait {
		result["deployment"] = raw
		return tools.Found(fmt.Sprintf("%s and started the build of deployment %s (status %s).%s Poll get-deployment until it is READY or ERROR.",
			uploaded, d.id, statusWord(rec.Status), skipped), result), nil
	}

	rec, raw, timedOut, err := poll(ctx, d.env, d.id, rec, raw, timeout, func(r record) {
		d.prog.step(fmt.Sprintf("Deployment %s is %s", r.ID, statusWord(r.Status)))
		if !terminal(r.Status) {
			clientlog.Logf(ctx, clientlog.Info, "Deployment %s is now %s.", d.id, statusWord(r.Status))
		}
	})
	if err != nil {
		if ctx.Err() != nil {
			return nil, d.cancelled(ctx, "waiting for the build")
		}
		return nil, tools.Errorf("%s and started deployment %s, but reading its status failed: %s. Check it with get-deployment.", uploaded, d.id, tools.Explain(hostingErr(err, d.id)))
	}
	result["deployment"] = raw
	logOutcome(ctx, d.id, rec, timedOut, timeout)
	return d.outcome(rec, timedOut, timeout, uploaded, skipped, result)
}

// logOutcome tells the client's log how the wait for a build ended.
func logOutcome(ctx context.Context, id string, rec record, timedOut bool, timeout time.Duration) {
	switch {
	case timedOut:
		clientlog.Logf(ctx, clientlog.Warning, "Deployment %s is still %s after %s; the build goes on.", id, statusWord(rec.Status), timeout)
	case rec.Status == "ERROR":
		clientlog.Logf(ctx, clientlog.Error, "Deployment %s failed: its build ended in ERROR.", rec.ID)
	case rec.Status == "READY" && safeURL(rec.URL) != "":
		clientlog.Logf(ctx, clientlog.Info, "Deployment %s is READY, live at %s.", id, safeURL(rec.URL))
	default:
		clientlog.Logf(ctx, clientlog.Info, "Deployment %s is %s.", id, statusWord(rec.Status))
	}
}

// outcome reports the end of the wait: the live site, a failed or
// canceled build, or a build still running.
func (d *deployment) outcome(rec record, timedOut bool, timeout time.Duration, uploaded, skipped string, result map[string]any) (*tools.Result, error) {
	switch {
	case timedOut:
		d.prog.finish(fmt.Sprintf("Deployment %s is still %s", d.id, statusWord(rec.Status)))
		return tools.Found(fmt.Sprintf("%s and started deployment %s; after %s it is still %s. The build goes on: check it with get-deployment (or sync-deployment) instead of deploying again.%s",
			uploaded, d.id, timeout, statusWord(rec.Status), skipped), result), nil
	case rec.Status == "ERROR":
		d.prog.finish(fmt.Sprintf("Deployment %s failed", d.id))
		reason := buildError(rec.Metadata)
		if reason == "" {
			reason = "the backend gave no reason"
		}
		return nil, tools.Errorf("The build of deployment %s failed (status ERROR): %q. %s. Check projectSettings (buildCommand, outputDirectory) against package.json and the envVars the app needs, run the build locally, fix it and call create-deployment again; get-deployment %s shows the whole record.",
			d.id, reason, uploaded, d.id)
	case rec.Status == "CANCELED":
		d.prog.finish(fmt.Sprintf("Deployment %s was canceled", d.id))
		return nil, tools.Errorf("Deployment %s was canceled before it finished (by someone else or with cancel-deployment). %s. Call create-deployment again to deploy.", d.id, uploaded)
	}
	d.prog.finish(fmt.Sprintf("Deployment %s is READY", d.id))
	live := "The site is live"
	if u := safeURL(rec.URL); u != "" {
		live += " at " + u
	}
	return tools.Found(fmt.Sprintf("%s. Deployment %s is READY. %s.%s", uploaded, d.id, live, skipped), result), nil
}

// uploadLegacy runs the zip flow: create, stream the zip to the presigned
// form, ready to start.
func (d *deployment) uploadLegacy(ctx context.Context) error {
	created, _, err := insforge.Call[struct {
		ID           string            `json:"id"`
		UploadURL    string            `json:"uploadUrl"`
		UploadFields map[string]string `json:"uploadFields"`
	}](ctx, d.env.Client, insforge.Request{Method: http.MethodPost, Path: "/api/deployments"})
	if err != nil {
		if ctx.Err() != nil {
			return d.cancelled(ctx, "creating the deployment")
		}
		var ae *insforge.Error
		switch {
		case errors.As(err, &ae) && ae.Status == http.StatusNotFound:
			return tools.Errorf("This backend does not support deployments: POST /api/deployments/direct and POST /api/deployments both answered 404. Upgrade the InsForge backend. Nothing was uploaded.")
		case errors.As(err, &ae) && ae.Status == http.StatusServiceUnavailable && strings.Contains(ae.Message, "S3"):
			return tools.QuotedErrorf(ae.Message, "This backend has no direct upload flow (POST /api/deployments/direct answered 404) and its legacy zip flow needs S3 storage, which is not configured (503; the backend's message is below). Upgrade the backend or configure S3_BUCKET. Nothing was uploaded.")
		}
		return createFailed(err)
	}
	d.id, d.mode = created.ID, "legacy"
	if _, err := checkID(d.id); err != nil {
		return fmt.Errorf("the backend answered POST /api/deployments without a valid deployment id")
	}
	if u, err := url.Parse(created.UploadURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return tools.Errorf("the backend returned no usable upload URL for the source zip.%s", d.abort(ctx))
	}
	form := newLegacyForm(created.UploadFields, d.files)
	if err := legacyUpload(ctx, d.env, created.UploadURL, form, d.prog); err != nil {
		if ctx.Err() != nil {
			return d.cancelled(ctx, "uploading the source zip")
		}
		var ue *tools.UserError
		if errors.As(err, &ue) {
			return tools.Errorf("%s.%s", strings.TrimSuffix(ue.Error(), "."), d.abort(ctx))
		}
		return tools.Errorf("Uploading the source zip failed: %v.%s Retry create-deployment in a moment.", err, d.abort(ctx))
	}
	return nil
}

func createFailed(err error) error {
	err = hostingErr(err, "")
	var ue *tools.UserError
	if errors.As(err, &ue) {
		return err
	}
	return tools.Errorf("Registering the files failed: %s Nothing was uploaded.", tools.Explain(err))
}

func uploadFailed(err error, aborted string) error {
	var fe *fileError
	if errors.As(err, &fe) {
		return tools.Errorf("Uploading %s failed after %d attempts: %s%s Retry create-deployment; if it keeps failing, check the backend (get-backend-metadata).", fe.path, fe.attempts, tools.Explain(fe.err), aborted)
	}
	var ue *tools.UserError
	if errors.As(err, &ue) {
		return tools.Errorf("%s.%s", strings.TrimSuffix(ue.Error(), "."), aborted)
	}
	return tools.Errorf("Uploading the files failed: %s%s", tools.Explain(err), aborted)
}

// poll polls the deployment until it reaches a final status or the
// timeout. It asks the backend to sync with the hosting provider (the
// stored status only changes through sync or provider webhooks) and reads
// the stored record when sync is refused.
func poll(ctx context.Context, env *tools.Env, id string, rec record, raw any, timeout time.Duration, onChange func(record)) (record, any, bool, error) {
	deadline := time.Now().Add(timeout)
	interval := tuning.pollFirst
	useSync := true
	failures := 0
	for !terminal(rec.Status) {
		left := time.Until(deadline)
		if left <= 0 {
			return rec, raw, true, nil
		}
		t := time.NewTimer(min(interval, left))
		select {
		case <-ctx.Done():
			t.Stop()
			return rec, raw, false, ctx.Err()
		case <-t.C:
		}
		interval = min(interval*3/2, tuning.pollMax)
		var next any
		var err error
		if useSync {
			next, _, err = insforge.Call[any](ctx, env.Client, insforge.Request{Method: http.MethodPost, Path: "/api/deployments/" + id + "/sync"})
			if insforge.StatusOf(err) == http.StatusBadRequest {
				useSync = false
			}
		}
		if !useSync {
			next, _, err = insforge.Call[any](ctx, env.Client, insforge.Request{Path: "/api/deployments/" + id})
		}
		if err != nil {
			if ctx.Err() != nil {
				return rec, raw, false, ctx.Err()
			}
			failures++
			if insforge.StatusOf(err) == http.StatusNotFound || failures >= 5 {
				return rec, raw, false, err
			}
			continue
		}
		failures = 0
		nextRec := recordOf(next)
		changed := nextRec.Status != rec.Status
		rec, raw = nextRec, next
		if changed {
			onChange(rec)
		}
	}
	return rec, raw, false, nil
}

// skippedData adds the skipped entries (at most 100) to the result.
func skippedData(result map[string]any, skipped []skip) {
	if len(skipped) == 0 {
		return
	}
	list := skipped
	if len(list) > 100 {
		list = list[:100]
		result["skippedNotShown"] = len(skipped) - 100
	}
	result["skipped"] = list
}

// skippedSummary counts the skipped entries by reason.
func skippedSummary(skipped []skip) string {
	if len(skipped) == 0 {
		return ""
	}
	count := map[string]int{}
	var order []string
	for _, s := range skipped {
		reason := s.Reason
		if strings.HasPrefix(reason, skipIgnored) {
			reason = skipIgnored
		}
		if count[reason] == 0 {
			order = append(order, reason)
		}
		count[reason]++
	}
	parts := make([]string, len(order))
	for i, r := range order {
		parts[i] = fmt.Sprintf("%d %s", count[r], r)
	}
	return fmt.Sprintf(" Left out %d entries (%s); they are listed in skipped.", len(skipped), strings.Join(parts, "; "))
}
