package deployments_test

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/insforge-mcp/insforge-mcp/credentials"
	"github.com/insforge-mcp/insforge-mcp/internal/insforgefake"
	"github.com/insforge-mcp/insforge-mcp/internal/testmcp"
	"github.com/insforge-mcp/insforge-mcp/tools"
	"github.com/insforge-mcp/insforge-mcp/tools/deployments"
)

// ---- helpers ----

// deployTree is a project folder on disk with the files that must ship.
type deployTree struct {
	dir  string
	want map[string][]byte // path → content of every file that must ship
}

func deployWrite(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

var deployBig = sync.OnceValue(func() []byte {
	big := make([]byte, 3<<20)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < len(big); i += 8 {
		binary.LittleEndian.PutUint64(big[i:], rng.Uint64())
	}
	return big
})

// deployBigContent is 3 MiB of pseudo-random bytes.
func deployBigContent() []byte { return deployBig() }

// deployMakeTree builds a realistic app folder: sources, a nested path, a
// 3 MiB binary, an empty file, things that must be skipped (node_modules,
// .git, dist, .env files, .gitignore matches) and symlinks inside and
// outside the folder.
func deployMakeTree(t *testing.T) deployTree {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "app")
	outside := filepath.Join(t.TempDir(), "elsewhere")
	tr := deployTree{dir: dir, want: map[string][]byte{}}
	ship := func(p string, data []byte) {
		deployWrite(t, filepath.Join(dir, filepath.FromSlash(p)), data)
		tr.want[p] = data
	}
	big := deployBigContent()
	ship("index.html", []byte("<!doctype html><div id=app></div><script type=module src=/src/main.js></script>\n"))
	ship("package.json", []byte(`{"name":"app","scripts":{"build":"vite build"}}`+"\n"))
	ship("src/main.js", []byte("import './style.css'\nconsole.log('hi')\n"))
	ship("src/style.css", []byte("body{margin:0}\n"))
	ship("src/components/deep/nested/Button.jsx", []byte("export const Button = () => null\n"))
	ship("assets/big.bin", big)
	ship("empty.txt", []byte{})
	ship(".gitignore", []byte("# logs\n*.log\n!keep.log\nsecret-notes.txt\n/local/\ndocs/**/*.draft.md\n"))
	ship("keep.log", []byte("kept despite *.log\n"))
	ship("docs/guide/intro.md", []byte("# Intro\n"))
	// Skipped.
	for p, data := range map[string]string{
		"node_modules/react/index.js":   "module.exports = {}\n",
		".git/HEAD":                     "ref: refs/heads/main\n",
		"dist/index.html":               "<html>built</html>\n",
		".env":                          "SECRET=1\n",
		".env.local":                    "SECRET=2\n",
		"src/.env.example":              "SECRET=\n",
		"app.log":                       "log\n",
		"secret-notes.txt":              "notes\n",
		"local/x.txt":                   "local\n",
		"docs/guide/plan.draft.md":      "draft\n",
		"packages/ui/node_modules/x.js": "x\n",
	} {
		deployWrite(t, filepath.Join(dir, filepath.FromSlash(p)), []byte(data))
	}
	deployWrite(t, filepath.Join(outside, "passwords.txt"), []byte("hunter2\n"))
	if err := os.Symlink(filepath.Join(outside, "passwords.txt"), filepath.Join(dir, "outside-link.txt")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(dir, "outside-dir")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join("src", "main.js"), filepath.Join(dir, "inside-link.js")); err != nil {
		t.Fatal(err)
	}
	tr.want["inside-link.js"] = tr.want["src/main.js"]
	return tr
}

func deploySHA(data []byte) string {
	s := sha1.Sum(data)
	return hex.EncodeToString(s[:])
}

// deployCheckSource asserts that the fake received exactly the files of want.
func deployCheckSource(t *testing.T, got []insforgefake.DeployedFile, want map[string][]byte) {
	t.Helper()
	var gotPaths, wantPaths []string
	for _, f := range got {
		gotPaths = append(gotPaths, f.Path)
		data, ok := want[f.Path]
		if !ok {
			continue
		}
		if f.SHA != deploySHA(data) || f.Size != int64(len(data)) {
			t.Errorf("%s arrived as sha %s size %d, want sha %s size %d", f.Path, f.SHA, f.Size, deploySHA(data), len(data))
		}
		if len(data) <= insforgefake.DeploymentKeepBytes && !bytes.Equal(f.Content, data) {
			t.Errorf("%s: bytes differ: %q, want %q", f.Path, f.Content, data)
		}
	}
	for p := range want {
		wantPaths = append(wantPaths, p)
	}
	sort.Strings(wantPaths)
	if !slices.Equal(gotPaths, wantPaths) {
		t.Errorf("deployed paths:\n got %v\nwant %v", gotPaths, wantPaths)
	}
}

func deployEqualJSON(t *testing.T, what string, got any, want string) {
	t.Helper()
	var w any
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("bad want JSON: %v", err)
	}
	g, _ := json.Marshal(got)
	wn, _ := json.Marshal(w)
	var gv any
	_ = json.Unmarshal(g, &gv)
	gn, _ := json.Marshal(gv)
	if !bytes.Equal(gn, wn) {
		t.Errorf("%s = %s, want %s", what, gn, wn)
	}
}

// deployCall calls a tool with a progress token and returns the result.
func deployCall(t *testing.T, h *testmcp.Harness, ctx context.Context, name string, args map[string]any) (*mcp.CallToolResult, error) {
	t.Helper()
	req := mcp.CallToolRequest{}
	req.Params.Name = name
	req.Params.Arguments = args
	req.Params.Meta = &mcp.Meta{ProgressToken: "tok"}
	return h.Client.CallTool(ctx, req)
}

type deployProgressNote struct {
	progress, total float64
	message         string
}

func deployNum(v any) float64 {
	switch n := v.(type) {
	case float64:
		return n
	case int:
		return float64(n)
	case int64:
		return float64(n)
	case json.Number:
		f, _ := n.Float64()
		return f
	}
	return 0
}

// deployProgressNotes waits until a progress message containing last
// arrived and returns the progress notifications of token "tok".
func deployProgressNotes(t *testing.T, h *testmcp.Harness, last string) []deployProgressNote {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for {
		var notes []deployProgressNote
		done := false
		for _, n := range h.Notifications() {
			if n.Method != string(mcp.MethodNotificationProgress) {
				continue
			}
			f := n.Params.AdditionalFields
			if fmt.Sprint(f["progressToken"]) != "tok" {
				continue
			}
			msg, _ := f["message"].(string)
			notes = append(notes, deployProgressNote{progress: deployNum(f["progress"]), total: deployNum(f["total"]), message: msg})
			if strings.Contains(msg, last) {
				done = true
			}
		}
		if done || time.Now().After(deadline) {
			return notes
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func deployStructured(t *testing.T, res *mcp.CallToolResult) map[string]any {
	t.Helper()
	data, err := json.Marshal(res.StructuredContent)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil || m == nil {
		t.Fatalf("no structured content: %s (%s)", data, testmcp.Text(res))
	}
	return m
}

// deployRequests returns the recorded requests whose path starts with prefix.
func deployRequests(h *testmcp.Harness, method, prefix string) []insforgefake.Request {
	var out []insforgefake.Request
	for _, r := range h.Backend.Requests() {
		if r.Method == method && strings.HasPrefix(r.Path, prefix) {
			out = append(out, r)
		}
	}
	return out
}

// ---- create-deployment ----

func TestDeployCreateEndToEnd(t *testing.T) {
	t.Parallel()
	h := testmcp.New(t, testmcp.Options{})
	tr := deployMakeTree(t)

	res, err := deployCall(t, h, context.Background(), "create-deployment", map[string]any{
		"sourceDirectory": tr.dir,
		"projectSettings": map[string]any{"buildCommand": "npm run build", "outputDirectory": "dist", "devCommand": nil},
		"envVars":         []any{map[string]any{"key": "VITE_INSFORGE_URL", "value": h.Backend.URL}},
		"meta":            map[string]any{"commit": "abc123"},
	})
	if err != nil {
		t.Fatal(err)
	}
	text := testmcp.Text(res)
	if res.IsError {
		t.Fatalf("create-deployment failed: %s", text)
	}
	out := deployStructured(t, res)
	id, _ := out["deploymentId"].(string)
	if id == "" || h.Backend.DeploymentStatus(id) != "READY" {
		t.Fatalf("deployment %q is %q, want READY:\n%s", id, h.Backend.DeploymentStatus(id), text)
	}
	testmcp.WantText(t, text, "Uploaded 11 files", "READY", "https://insforge-"+id[:8]+".vercel.app", "Left out", "listed in skipped")
	if out["uploadMode"] != "direct" || deployNum(out["files"]) != 11 {
		t.Errorf("uploadMode %v files %v", out["uploadMode"], out["files"])
	}

	// Exactly the expected paths, hashes and bytes arrived.
	deployCheckSource(t, h.Backend.DeploymentSource(id), tr.want)

	// The manifest.
	direct := h.Last(t, "POST", "/api/deployments/direct")
	testmcp.WantAdminAuth(t, direct)
	var manifest struct {
		Files []struct {
			Path string `json:"path"`
			SHA  string `json:"sha"`
			Size int64  `json:"size"`
		} `json:"files"`
	}
	if err := json.Unmarshal(direct.Body, &manifest); err != nil {
		t.Fatal(err)
	}
	if len(manifest.Files) != len(tr.want) {
		t.Errorf("manifest has %d files, want %d", len(manifest.Files), len(tr.want))
	}
	for _, f := range manifest.Files {
		if data := tr.want[f.Path]; f.SHA != deploySHA(data) || f.Size != int64(len(data)) {
			t.Errorf("manifest entry %+v is wrong", f)
		}
	}

	// Every upload: octet-stream, the admin key, accepted once.
	perPath := map[string]int{}
	for _, u := range h.Backend.DeploymentUploads() {
		perPath[u.Path]++
		if u.ContentType != "application/octet-stream" || u.Authorization != "Bearer "+insforgefake.DefaultAPIKey || u.Status != 200 {
			t.Errorf("upload of %s: content type %q, auth %q, status %d", u.Path, u.ContentType, u.Authorization, u.Status)
		}
	}
	for p := range tr.want {
		if perPath[p] != 1 {
			t.Errorf("%s was uploaded %d times, want once", p, perPath[p])
		}
	}

	// The start request carries the settings (null kept), env vars and meta.
	start := h.Last(t, "POST", "/api/deployments/"+id+"/start")
	testmcp.WantAdminAuth(t, start)
	deployEqualJSON(t, "start body", testmcp.BodyObject(t, start), fmt.Sprintf(`{
		"projectSettings": {"buildCommand": "npm run build", "outputDirectory": "dist", "devCommand": null},
		"envVars": [{"key": "VITE_INSFORGE_URL", "value": %q}],
		"meta": {"commit": "abc123"}}`, h.Backend.URL))
	if got := h.Backend.DeploymentEnvVars()["VITE_INSFORGE_URL"]; got != h.Backend.URL {
		t.Errorf("env var saved as %q", got)
	}
	if len(deployRequests(h, "POST", "/api/deployments/"+id+"/sync")) == 0 {
		t.Error("the status was never synced")
	}

	// Skipped entries, with reasons.
	skipped := map[string]string{}
	list, _ := out["skipped"].([]any)
	for _, s := range list {
		m, _ := s.(map[string]any)
		skipped[fmt.Sprint(m["path"])] = fmt.Sprint(m["reason"])
	}
	for p, reason := range map[string]string{
		"node_modules/":              "dependencies",
		"packages/ui/node_modules/":  "dependencies",
		".git/":                      "version control",
		"dist/":                      "build output",
		".env":                       "environment file",
		".env.local":                 "environment file",
		"src/.env.example":           "environment file",
		"app.log":                    "excluded by .gitignore (*.log)",
		"secret-notes.txt":           "excluded by .gitignore",
		"local/":                     "excluded by .gitignore (/local/)",
		"docs/guide/plan.draft.md":   "excluded by .gitignore (docs/**/*.draft.md)",
		"outside-link.txt":           "outside the folder",
		"outside-dir/":               "outside the folder",
		"packages/ui/node_modules/x": "",
	} {
		if reason == "" {
			if _, ok := skipped[p]; ok {
				t.Errorf("%s listed although its folder was skipped", p)
			}
			continue
		}
		if !strings.Contains(skipped[p], reason) {
			t.Errorf("skipped[%s] = %q, want it to mention %q (all: %v)", p, skipped[p], reason, skipped)
		}
	}
	if strings.Contains(text, "hunter2") {
		t.Error("content outside the folder leaked")
	}

	// Progress: increasing values, hashing → uploading → statuses → READY.
	notes := deployProgressNotes(t, h, "is READY")
	if len(notes) < 5 {
		t.Fatalf("only %d progress notifications: %+v", len(notes), notes)
	}
	var units float64
	for _, data := range tr.want {
		units += float64(len(data) + 1)
	}
	phase := 0
	phases := []string{"Found", "Hashing", "Uploading", "QUEUED", "BUILDING", "READY"}
	for i, n := range notes {
		if i > 0 && n.progress <= notes[i-1].progress {
			t.Errorf("progress went from %v to %v (%q)", notes[i-1].progress, n.progress, n.message)
		}
		for phase < len(phases) && !strings.Contains(n.message, phases[phase]) {
			phase++
		}
		if phase == len(phases) {
			t.Fatalf("notification %q is out of order (%+v)", n.message, notes)
		}
		if phases[phase] == "Hashing" || phases[phase] == "Uploading" {
			if n.total != 2*units {
				t.Errorf("%q has total %v, want %v", n.message, n.total, 2*units)
			}
		}
	}
	lastNote := notes[len(notes)-1]
	if !strings.Contains(lastNote.message, "READY") || lastNote.progress != lastNote.total {
		t.Errorf("last notification %+v should be READY with progress = total", lastNote)
	}
	var sawHash, sawUpload bool
	for _, n := range notes {
		sawHash = sawHash || strings.HasPrefix(n.message, "Hashing files: 11 of 11")
		sawUpload = sawUpload || strings.HasPrefix(n.message, "Uploading files: 11 of 11 uploaded")
	}
	if !sawHash || !sawUpload {
		t.Errorf("missing the final hashing or upload count: %+v", notes)
	}
}

func TestDeployWithoutProgressTokenSendsNoProgress(t *testing.T) {
	t.Parallel()
	h := testmcp.New(t, testmcp.Options{})
	tr := deployMakeTree(t)
	h.OK(t, "create-deployment", map[string]any{"sourceDirectory": tr.dir})
	for _, n := range h.Notifications() {
		if n.Method == string(mcp.MethodNotificationProgress) {
			t.Fatalf("progress sent without a token: %+v", n)
		}
	}
}

func TestDeployRetriesFailedUpload(t *testing.T) {
	t.Parallel()
	h := testmcp.New(t, testmcp.Options{})
	tr := deployMakeTree(t)
	h.Backend.FailDeploymentUpload("assets/big.bin", 1, &insforgefake.APIError{Status: 502, Code: "UPSTREAM_FAILURE", Message: "Vercel upload failed"})
	h.Backend.FailDeploymentUpload("src/main.js", 1, &insforgefake.APIError{Status: 503, Code: "INTERNAL_ERROR", Message: "busy"})

	text := h.OK(t, "create-deployment", map[string]any{"sourceDirectory": tr.dir})
	testmcp.WantText(t, text, "READY")
	var statuses = map[string][]int{}
	for _, u := range h.Backend.DeploymentUploads() {
		statuses[u.Path] = append(statuses[u.Path], u.Status)
	}
	for _, p := range []string{"assets/big.bin", "src/main.js"} {
		if len(statuses[p]) != 2 || statuses[p][0] < 500 || statuses[p][1] != 200 {
			t.Errorf("%s upload statuses %v, want a failure then 200", p, statuses[p])
		}
	}
	ids := h.Backend.DeploymentIDs()
	deployCheckSource(t, h.Backend.DeploymentSource(ids[len(ids)-1]), tr.want)
}

func TestDeployUploadFailureCancelsDeployment(t *testing.T) {
	t.Parallel()
	h := testmcp.New(t, testmcp.Options{})
	tr := deployMakeTree(t)
	h.Backend.FailDeploymentUpload("index.html", 1, &insforgefake.APIError{Status: 400, Code: "DEPLOYMENT_INVALID_FILE", Message: "Deployment files can only be uploaded while status is WAITING or UPLOADING."})

	text := h.Fail(t, "create-deployment", map[string]any{"sourceDirectory": tr.dir})
	ids := h.Backend.DeploymentIDs()
	if len(ids) != 1 {
		t.Fatalf("deployments: %v", ids)
	}
	id := ids[0]
	testmcp.WantText(t, text, "Uploading index.html failed", "400", "was cancelled")
	if st := h.Backend.DeploymentStatus(id); st != "CANCELED" {
		t.Errorf("status %s, want CANCELED", st)
	}
	testmcp.WantAdminAuth(t, h.Last(t, "POST", "/api/deployments/"+id+"/cancel"))
	if n := len(deployRequests(h, "POST", "/api/deployments/"+id+"/start")); n != 0 {
		t.Errorf("the build was started %d times after a failed upload", n)
	}
	attempts := 0
	for _, u := range h.Backend.DeploymentUploads() {
		if u.Path == "index.html" {
			attempts++
		}
	}
	if attempts != 1 {
		t.Errorf("a 400 was retried: %d attempts", attempts)
	}
}

func TestDeployBuildErrorIsReported(t *testing.T) {
	t.Parallel()
	h := testmcp.New(t, testmcp.Options{})
	tr := deployMakeTree(t)
	h.Backend.SetDeploymentOutcome("ERROR", `Command "npm run build" exited with 1`)

	text := h.Fail(t, "create-deployment", map[string]any{"sourceDirectory": tr.dir})
	id := h.Backend.DeploymentIDs()[0]
	testmcp.WantText(t, text, "The build of deployment "+id+" failed (status ERROR)", `BUILD_FAILED: Command \"npm run build\" exited with 1`, "outputDirectory", "get-deployment")
}

func TestDeployCanceledBuildIsReported(t *testing.T) {
	t.Parallel()
	h := testmcp.New(t, testmcp.Options{})
	tr := deployMakeTree(t)
	h.Backend.SetDeploymentOutcome("CANCELED", "")
	text := h.Fail(t, "create-deployment", map[string]any{"sourceDirectory": tr.dir})
	testmcp.WantText(t, text, "was canceled before it finished")
}

// deployCancelWhenBuilding cancels once a deployment is BUILDING (the
// tool is then polling its status).
func deployCancelWhenBuilding(ctx context.Context, h *testmcp.Harness, cancel context.CancelFunc) {
	for ctx.Err() == nil {
		for _, id := range h.Backend.DeploymentIDs() {
			if h.Backend.DeploymentStatus(id) == "BUILDING" {
				cancel()
				return
			}
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// deployWantCanceled waits until the only deployment is CANCELED through
// POST …/cancel.
func deployWantCanceled(t *testing.T, h *testmcp.Harness) {
	t.Helper()
	ids := h.Backend.DeploymentIDs()
	if len(ids) != 1 {
		t.Fatalf("deployments: %v", ids)
	}
	deadline := time.Now().Add(3 * time.Second)
	for h.Backend.DeploymentStatus(ids[0]) != "CANCELED" && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if st := h.Backend.DeploymentStatus(ids[0]); st != "CANCELED" {
		t.Fatalf("status %s after the request was cancelled, want CANCELED", st)
	}
	testmcp.WantAdminAuth(t, h.Last(t, "POST", "/api/deployments/"+ids[0]+"/cancel"))
}

// The in-process transport runs the handler on the caller's context, so
// cancelling that context is what the handler sees.
func TestDeployCancelledRequestCancelsDeployment(t *testing.T) {
	t.Parallel()
	h := testmcp.New(t, testmcp.Options{})
	tr := deployMakeTree(t)
	h.Backend.SetDeploymentPolls(1 << 30) // the build never ends

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go deployCancelWhenBuilding(ctx, h, cancel)
	res, err := deployCall(t, h, ctx, "create-deployment", map[string]any{"sourceDirectory": tr.dir})
	if err == nil {
		// In process, the handler's answer still comes back.
		if !res.IsError {
			t.Fatalf("the call succeeded although it was cancelled: %s", testmcp.Text(res))
		}
		testmcp.WantText(t, testmcp.Text(res), "cancelled by the client while waiting for the build", "was cancelled so that it does not stay half-done")
	}
	deployWantCanceled(t, h)
}

// Over stdio the client cancels with notifications/cancelled, which the
// server turns into the cancellation of the handler's context.
func TestDeployCancelNotificationOverStdio(t *testing.T) {
	t.Parallel()
	h := testmcp.New(t, testmcp.Options{})
	tr := deployMakeTree(t)
	h.Backend.SetDeploymentPolls(1 << 30)

	srvIn, cliOut := io.Pipe()
	cliIn, srvOut := io.Pipe()
	ctx, stop := context.WithCancel(context.Background())
	served := make(chan struct{})
	go func() {
		defer close(served)
		_ = server.NewStdioServer(h.Server.MCP()).Listen(ctx, srvIn, srvOut)
	}()
	c := client.NewClient(transport.NewIO(cliIn, cliOut, io.NopCloser(strings.NewReader(""))))
	t.Cleanup(func() {
		stop()
		c.Close()
		srvIn.Close()
		srvOut.Close()
		<-served
	})
	if err := testmcp.Initialize(c, mcp.LATEST_LEGACY_PROTOCOL_VERSION); err != nil {
		t.Fatal(err)
	}
	callCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	go deployCancelWhenBuilding(callCtx, h, cancel)
	req := mcp.CallToolRequest{}
	req.Params.Name = "create-deployment"
	req.Params.Arguments = map[string]any{"sourceDirectory": tr.dir}
	if _, err := c.CallTool(callCtx, req); err == nil {
		t.Fatal("the cancelled call returned no error")
	}
	deployWantCanceled(t, h)
}

func TestDeployLegacyZipFlow(t *testing.T) {
	t.Parallel()
	h := testmcp.New(t, testmcp.Options{})
	tr := deployMakeTree(t)
	h.Backend.SetDirectDeploymentsMissing(true)
	h.Backend.EnableLegacyDeployments(t)

	res, err := deployCall(t, h, context.Background(), "create-deployment", map[string]any{"sourceDirectory": tr.dir})
	if err != nil {
		t.Fatal(err)
	}
	text := testmcp.Text(res)
	if res.IsError {
		t.Fatalf("legacy deploy failed: %s", text)
	}
	testmcp.WantText(t, text, "as a zip", "READY")
	out := deployStructured(t, res)
	id := fmt.Sprint(out["deploymentId"])
	if out["uploadMode"] != "legacy" {
		t.Errorf("uploadMode %v", out["uploadMode"])
	}
	testmcp.WantAdminAuth(t, h.Last(t, "POST", "/api/deployments"))
	if r := h.Last(t, "POST", "/api/deployments/direct"); len(r.Body) == 0 {
		t.Error("the direct flow was not tried first")
	}
	ups := h.Backend.LegacyUploads()
	if len(ups) != 1 {
		t.Fatalf("%d uploads reached storage", len(ups))
	}
	up := ups[0]
	if up.Status != http.StatusNoContent || up.DeploymentID != id {
		t.Errorf("storage answered %d for deployment %s", up.Status, up.DeploymentID)
	}
	if up.Authorization != "" || up.APIKey != "" {
		t.Errorf("the admin key reached storage: %q %q", up.Authorization, up.APIKey)
	}
	if up.ContentLength <= int64(up.ZipSize) || up.FieldOrder[len(up.FieldOrder)-1] != "file" || up.Fields["key"] != "deployments/"+id+"/source.zip" {
		t.Errorf("form: length %d zip %d order %v fields %v", up.ContentLength, up.ZipSize, up.FieldOrder, up.Fields)
	}
	deployCheckSource(t, h.Backend.DeploymentSource(id), tr.want)
	notes := deployProgressNotes(t, h, "is READY")
	var sawZip bool
	for _, n := range notes {
		sawZip = sawZip || strings.Contains(n.message, "the source zip")
	}
	if !sawZip {
		t.Errorf("no zip upload progress: %+v", notes)
	}
}

func TestDeployLegacyStorageRefusal(t *testing.T) {
	t.Parallel()
	h := testmcp.New(t, testmcp.Options{})
	tr := deployMakeTree(t)
	h.Backend.SetDirectDeploymentsMissing(true)
	h.Backend.EnableLegacyDeployments(t)
	h.Backend.RejectNextLegacyUpload()
	text := h.Fail(t, "create-deployment", map[string]any{"sourceDirectory": tr.dir})
	testmcp.WantText(t, text, "Uploading the source zip failed", "HTTP 403 Forbidden", "presigned form may have expired", "was cancelled")
	ids := h.Backend.DeploymentIDs()
	if len(ids) != 1 || h.Backend.DeploymentStatus(ids[0]) != "CANCELED" {
		t.Errorf("deployments %v", ids)
	}
}

func TestDeployLegacyWithoutStorage(t *testing.T) {
	t.Parallel()
	h := testmcp.New(t, testmcp.Options{})
	tr := deployMakeTree(t)
	h.Backend.SetDirectDeploymentsMissing(true)
	text := h.Fail(t, "create-deployment", map[string]any{"sourceDirectory": tr.dir})
	testmcp.WantText(t, text, "no direct upload flow", "S3_BUCKET", "Nothing was uploaded")
}

func TestDeployMemoryStaysBounded(t *testing.T) {
	dir := t.TempDir()
	deployWrite(t, filepath.Join(dir, "index.html"), []byte("<h1>big</h1>\n"))
	big := filepath.Join(dir, "media", "video.bin")
	deployWrite(t, big, []byte("not only zeros"))
	const size = 50 << 20
	if err := os.Truncate(big, size); err != nil { // sparse: reads as zeros
		t.Fatal(err)
	}
	backend := insforgefake.New(t)
	// The fake keeps every request body; the front streams uploads instead,
	// so the measure is the client's.
	backend.URL = backend.StreamingDeploymentFront(t)
	h := testmcp.NewWithBackend(t, backend, testmcp.Options{})

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	res, err := deployCall(t, h, context.Background(), "create-deployment", map[string]any{"sourceDirectory": dir})
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	if res.IsError {
		t.Fatalf("deploy failed: %s", testmcp.Text(res))
	}
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("deploying a 50 MiB file allocated %.1f MiB in total (client, MCP and streaming fake); heap in use %.1f → %.1f MiB",
		float64(alloc)/(1<<20), float64(before.HeapInuse)/(1<<20), float64(after.HeapInuse)/(1<<20))
	if alloc > 16<<20 {
		t.Errorf("deploying a 50 MiB file allocated %d MiB; the file must be streamed, not held in memory", alloc>>20)
	}

	f, err := os.Open(big)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sh := sha1.New()
	if _, err := io.Copy(sh, f); err != nil {
		t.Fatal(err)
	}
	var seen bool
	for _, u := range backend.DeploymentUploads() {
		if u.Path == "media/video.bin" {
			seen = true
			if u.Size != size || u.SHA != hex.EncodeToString(sh.Sum(nil)) || u.Status != 200 {
				t.Errorf("video.bin arrived as %d bytes, sha %s, status %d", u.Size, u.SHA, u.Status)
			}
		}
	}
	if !seen {
		t.Error("the large file was not uploaded")
	}
}

func TestDeployRemoteServerExplainsStdio(t *testing.T) {
	t.Parallel()
	h := testmcp.New(t, testmcp.Options{Remote: true})
	missing := filepath.Join(t.TempDir(), "not-on-this-machine")
	text := h.Fail(t, "create-deployment", map[string]any{"sourceDirectory": missing})
	testmcp.WantText(t, text, "reached over HTTP", "does not deploy folders for remote clients", "over stdio", "Nothing was uploaded")
	if len(h.Backend.Requests()) != 0 {
		t.Errorf("requests were sent: %+v", h.Backend.Requests())
	}

	local := testmcp.New(t, testmcp.Options{})
	text = local.Fail(t, "create-deployment", map[string]any{"sourceDirectory": missing})
	testmcp.WantText(t, text, "does not exist on the machine running this MCP server")
	if strings.Contains(text, "stdio") {
		t.Errorf("a local server should not talk about transports: %s", text)
	}

	// Over HTTP, a folder that exists here is refused too: the caller is not
	// necessarily this machine's user. An operator's --files-root opens one
	// directory, and only that one.
	tr := deployMakeTree(t)
	h.Fail(t, "create-deployment", map[string]any{"sourceDirectory": tr.dir})
	// Within it, each project key has its own directory: the folder is
	// reached there (by a relative path too), and not where it was before.
	root := t.TempDir()
	rooted := testmcp.New(t, testmcp.Options{Remote: true, FilesRoot: root})
	testmcp.WantText(t, rooted.Fail(t, "create-deployment", map[string]any{"sourceDirectory": filepath.Join(root, "app")}), "outside the directory")
	own := filepath.Join(root, tools.FilesDir(credentials.Credentials{ProjectURL: rooted.Backend.URL, APIKey: insforgefake.DefaultAPIKey}))
	if err := os.MkdirAll(own, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tr.dir, filepath.Join(own, "app")); err != nil {
		t.Fatal(err)
	}
	testmcp.WantText(t, rooted.OK(t, "create-deployment", map[string]any{"sourceDirectory": "app"}), "READY")
	testmcp.WantText(t, rooted.Fail(t, "create-deployment", map[string]any{"sourceDirectory": t.TempDir()}), "outside the directory")
}

func TestDeployLimitsAreCheckedBeforeUpload(t *testing.T) {
	h := testmcp.New(t, testmcp.Options{})
	tr := deployMakeTree(t)

	deployments.LimitsForTest(t, 4, 1<<20, 512<<10)
	text := h.Fail(t, "create-deployment", map[string]any{"sourceDirectory": tr.dir})
	testmcp.WantText(t, text, "11 files is more than the limit of 4", "the folders with the most files are top level (6), src/ (3)",
		"larger than the 512.0 KiB per-file limit: assets/big.bin (3.0 MiB)",
		"more than the 1.0 MiB limit", "Nothing was uploaded")
	if n := len(h.Backend.Requests()); n != 0 {
		t.Errorf("%d requests were sent before the limits were checked", n)
	}

	// A name the backend refuses (backslash), and an empty folder.
	deployments.LimitsForTest(t, 5000, 100<<20, 100<<20)
	odd := t.TempDir()
	deployWrite(t, filepath.Join(odd, `back\slash.txt`), []byte("x"))
	testmcp.WantText(t, h.Fail(t, "create-deployment", map[string]any{"sourceDirectory": odd}), "backslash")
	empty := t.TempDir()
	deployWrite(t, filepath.Join(empty, "node_modules", "x.js"), []byte("x"))
	testmcp.WantText(t, h.Fail(t, "create-deployment", map[string]any{"sourceDirectory": empty}), "nothing to deploy", "1 skipped entries")
	file := filepath.Join(odd, `back\slash.txt`)
	testmcp.WantText(t, h.Fail(t, "create-deployment", map[string]any{"sourceDirectory": file}), "is a file, not a folder")
	if n := len(h.Backend.Requests()); n != 0 {
		t.Errorf("%d requests were sent", n)
	}
}

func TestDeployBackendErrors(t *testing.T) {
	t.Parallel()
	h := testmcp.New(t, testmcp.Options{})
	tr := deployMakeTree(t)

	// The backend's own limits (400) are reported, nothing uploaded.
	h.Backend.SetDeploymentLimits(5, 100<<20, 100<<20)
	text := h.Fail(t, "create-deployment", map[string]any{"sourceDirectory": tr.dir})
	testmcp.WantText(t, text, "Registering the files failed", "400", "Deployment files exceed the maximum of 5 files", "Nothing was uploaded")
	if len(h.Backend.DeploymentUploads()) != 0 || len(h.Backend.DeploymentIDs()) != 0 {
		t.Error("something was created or uploaded")
	}

	// Self-hosted without Vercel settings: 503 explained.
	h.Backend.SetDeploymentLimits(5000, 100<<20, 100<<20)
	h.Backend.SetDeploymentsConfigured(false)
	text = h.Fail(t, "create-deployment", map[string]any{"sourceDirectory": tr.dir})
	testmcp.WantText(t, text, "Hosting is not available on this backend", "503", "VERCEL_TOKEN", "retrying will not help")

	// A refused start (500) cancels the deployment.
	h.Backend.SetDeploymentsConfigured(true)
	h.Backend.FailDeploymentStart(&insforgefake.APIError{Status: 500, Code: "INTERNAL_ERROR", Message: "Failed to start deployment"})
	text = h.Fail(t, "create-deployment", map[string]any{"sourceDirectory": tr.dir})
	ids := h.Backend.DeploymentIDs()
	if len(ids) != 1 {
		t.Fatalf("deployments %v", ids)
	}
	testmcp.WantText(t, text, "All 11 files were uploaded, but starting the build failed", "500", "Failed to start deployment", "was cancelled")
	if st := h.Backend.DeploymentStatus(ids[0]); st != "CANCELED" {
		t.Errorf("status %s, want CANCELED", st)
	}
}

func TestDeployWithoutWaiting(t *testing.T) {
	t.Parallel()
	h := testmcp.New(t, testmcp.Options{})
	tr := deployMakeTree(t)
	res, err := deployCall(t, h, context.Background(), "create-deployment", map[string]any{"sourceDirectory": tr.dir, "wait": false})
	if err != nil || res.IsError {
		t.Fatalf("deploy: %v %s", err, testmcp.Text(res))
	}
	text := testmcp.Text(res)
	testmcp.WantText(t, text, "started the build of deployment", "QUEUED", "Poll get-deployment")
	id := h.Backend.DeploymentIDs()[0]
	if n := len(deployRequests(h, "POST", "/api/deployments/"+id+"/sync")); n != 0 {
		t.Errorf("wait=false polled %d times", n)
	}
}

func TestDeployArgumentsAreChecked(t *testing.T) {
	t.Parallel()
	h := testmcp.New(t, testmcp.Options{})
	tr := deployMakeTree(t)
	for _, c := range []struct {
		args map[string]any
		want string
	}{
		{map[string]any{"sourceDirectory": tr.dir, "projectSettings": map[string]any{"outputDir": "dist"}}, `no setting "outputDir"`},
		{map[string]any{"sourceDirectory": tr.dir, "projectSettings": map[string]any{"buildCommand": 3}}, "string or null"},
		{map[string]any{"sourceDirectory": tr.dir, "envVars": []any{map[string]any{"key": "A"}}}, "needs a value"},
		{map[string]any{"sourceDirectory": tr.dir, "envVars": []any{map[string]any{"key": "A", "value": "1"}, map[string]any{"key": "A", "value": "2"}}}, "lists A twice"},
		{map[string]any{"sourceDirectory": tr.dir, "envVars": []any{map[string]any{"key": "1BAD", "value": "1"}}}, "not a valid variable name"},
		{map[string]any{"sourceDirectory": tr.dir, "waitTimeoutSeconds": 5}, "between 10 and 3600"},
		{map[string]any{"sourceDirectory": "  "}, "sourceDirectory"},
		{map[string]any{"sourceDirectory": tr.dir, "bogus": 1}, `unknown argument "bogus"`},
	} {
		testmcp.WantText(t, h.Fail(t, "create-deployment", c.args), c.want)
	}
	if n := len(h.Backend.Requests()); n != 0 {
		t.Errorf("%d requests were sent for invalid arguments", n)
	}
}

// ---- start-deployment ----

// deploySeedUploaded registers and uploads one file through the fake's API
// (as another client would) and returns the WAITING deployment's id.
func deploySeedUploaded(t *testing.T, h *testmcp.Harness) string {
	t.Helper()
	content := []byte("<h1>hi</h1>")
	body := fmt.Sprintf(`{"files":[{"path":"index.html","sha":%q,"size":%d}]}`, deploySHA(content), len(content))
	var created struct {
		ID    string `json:"id"`
		Files []struct {
			FileID string `json:"fileId"`
		} `json:"files"`
	}
	deployHTTP(t, h, "POST", "/api/deployments/direct", "application/json", []byte(body), &created)
	deployHTTP(t, h, "PUT", "/api/deployments/"+created.ID+"/files/"+created.Files[0].FileID+"/content", "application/octet-stream", content, nil)
	h.Backend.Reset()
	return created.ID
}

func deployHTTP(t *testing.T, h *testmcp.Harness, method, path, ctype string, body []byte, out any) {
	t.Helper()
	req, _ := http.NewRequest(method, h.Backend.URL+path, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+insforgefake.DefaultAPIKey)
	req.Header.Set("Content-Type", ctype)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, data)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			t.Fatal(err)
		}
	}
}

func TestDeployStartDeployment(t *testing.T) {
	t.Parallel()
	h := testmcp.New(t, testmcp.Options{})
	id := deploySeedUploaded(t, h)

	var out map[string]any
	h.Structured(t, "start-deployment", map[string]any{
		"deploymentId":    id,
		"projectSettings": map[string]any{"rootDirectory": "web", "installCommand": nil},
		"envVars":         []any{map[string]any{"key": "VITE_A", "value": "1"}},
	}, &out)
	if out["id"] != id || out["status"] != "QUEUED" {
		t.Errorf("start answered %v", out)
	}
	req := h.Last(t, "POST", "/api/deployments/"+id+"/start")
	testmcp.WantAdminAuth(t, req)
	deployEqualJSON(t, "start body", testmcp.BodyObject(t, req), `{"projectSettings":{"rootDirectory":"web","installCommand":null},"envVars":[{"key":"VITE_A","value":"1"}]}`)

	// Starting again: 400 explained.
	text := h.Fail(t, "start-deployment", map[string]any{"deploymentId": id})
	testmcp.WantText(t, text, "cannot be started", "Current status: QUEUED", "create-deployment")
	// Unknown id: 404 explained; malformed id: refused locally.
	unknown := "0b7d8c1e-0000-4000-8000-000000000000"
	testmcp.WantText(t, h.Fail(t, "start-deployment", map[string]any{"deploymentId": unknown}), "There is no deployment "+unknown, "list-deployments")
	h.Backend.Reset()
	testmcp.WantText(t, h.Fail(t, "start-deployment", map[string]any{"deploymentId": "latest"}), `"latest" is not a deployment id`)
	if len(h.Backend.Requests()) != 0 {
		t.Error("a malformed id reached the backend")
	}
	// Files missing: the backend's 400 comes through.
	empty := h.Backend.AddDeployment("WAITING")
	testmcp.WantText(t, h.Fail(t, "start-deployment", map[string]any{"deploymentId": empty}), "400", "have not been registered")
}

// ---- list, get, sync, cancel, metadata ----

func TestDeployListDeployments(t *testing.T) {
	t.Parallel()
	h := testmcp.New(t, testmcp.Options{})
	testmcp.WantText(t, h.OK(t, "list-deployments", nil), "No deployments yet")
	a := h.Backend.AddDeployment("READY")
	b := h.Backend.AddDeployment("ERROR")
	c := h.Backend.AddDeployment("WAITING")

	var out struct {
		Deployments []map[string]any `json:"deployments"`
		Total       int              `json:"total"`
		Limit       int              `json:"limit"`
		Offset      int              `json:"offset"`
	}
	h.Structured(t, "list-deployments", map[string]any{"limit": 2}, &out)
	req := h.Last(t, "GET", "/api/deployments")
	testmcp.WantAdminAuth(t, req)
	if req.RawQuery != "limit=2&offset=0" {
		t.Errorf("query %q", req.RawQuery)
	}
	if out.Total != 3 || len(out.Deployments) != 2 || out.Deployments[0]["id"] != c || out.Deployments[1]["id"] != b {
		t.Errorf("page 1: %+v", out)
	}
	text := h.OK(t, "list-deployments", map[string]any{"limit": 2})
	testmcp.WantText(t, text, "Deployments 1-2 of 3, newest first", "offset 2 for more")
	h.Structured(t, "list-deployments", map[string]any{"limit": 2, "offset": 2}, &out)
	if len(out.Deployments) != 1 || out.Deployments[0]["id"] != a {
		t.Errorf("page 2: %+v", out)
	}
	testmcp.WantText(t, h.Fail(t, "list-deployments", map[string]any{"limit": 500}), "between 1 and 100")

	h.Backend.Fail("GET", "/api/deployments", &insforgefake.APIError{Status: 403, Code: "FORBIDDEN", Message: "Admin access required"})
	testmcp.WantText(t, h.Fail(t, "list-deployments", nil), "403", "Admin access required")
	h.Backend.Fail("GET", "/api/deployments", nil)

	// Self-hosted without hosting: the backend answers an empty list.
	h.Backend.SetDeploymentsConfigured(false)
	testmcp.WantText(t, h.OK(t, "list-deployments", nil), "No deployments yet")
}

func TestDeployGetSyncCancel(t *testing.T) {
	t.Parallel()
	h := testmcp.New(t, testmcp.Options{})
	h.Backend.SetDeploymentPolls(2)
	id := h.Backend.AddDeployment("QUEUED")

	var rec map[string]any
	h.Structured(t, "get-deployment", map[string]any{"deploymentId": strings.ToUpper(id)}, &rec)
	testmcp.WantAdminAuth(t, h.Last(t, "GET", "/api/deployments/"+id))
	if rec["id"] != id || rec["status"] != "BUILDING" {
		t.Errorf("get: %v", rec)
	}
	text := h.OK(t, "sync-deployment", map[string]any{"deploymentId": id})
	testmcp.WantAdminAuth(t, h.Last(t, "POST", "/api/deployments/"+id+"/sync"))
	testmcp.WantText(t, text, "Refreshed from the hosting provider", "is READY at https://insforge-"+id[:8]+".vercel.app")

	waiting := h.Backend.AddDeployment("WAITING")
	testmcp.WantText(t, h.Fail(t, "sync-deployment", map[string]any{"deploymentId": waiting}), "has not been started yet")

	failed := h.Backend.AddDeployment("ERROR")
	testmcp.WantText(t, h.OK(t, "get-deployment", map[string]any{"deploymentId": failed}), "failed (ERROR)", "metadata.error")

	text = h.OK(t, "cancel-deployment", map[string]any{"deploymentId": waiting})
	testmcp.WantAdminAuth(t, h.Last(t, "POST", "/api/deployments/"+waiting+"/cancel"))
	testmcp.WantText(t, text, "is canceled", "has been cancelled")
	if st := h.Backend.DeploymentStatus(waiting); st != "CANCELED" {
		t.Errorf("status %s", st)
	}

	unknown := "0b7d8c1e-0000-4000-8000-000000000000"
	for _, name := range []string{"get-deployment", "sync-deployment", "cancel-deployment"} {
		testmcp.WantText(t, h.Fail(t, name, map[string]any{"deploymentId": unknown}), "There is no deployment "+unknown, "404")
		testmcp.WantText(t, h.Fail(t, name, map[string]any{"deploymentId": "abc"}), "is not a deployment id")
	}
}

func TestDeployMetadata(t *testing.T) {
	t.Parallel()
	h := testmcp.New(t, testmcp.Options{})
	testmcp.WantText(t, h.OK(t, "get-deployment-metadata", nil), "No deployment is live yet")
	id := h.Backend.AddDeployment("READY")
	h.OK(t, "set-project-slug", map[string]any{"slug": "my-app"})
	var meta map[string]any
	h.Structured(t, "get-deployment-metadata", nil, &meta)
	testmcp.WantAdminAuth(t, h.Last(t, "GET", "/api/deployments/metadata"))
	if meta["currentDeploymentId"] != id || meta["customDomainUrl"] != "https://my-app.insforge.site" {
		t.Errorf("metadata %v", meta)
	}
	testmcp.WantText(t, h.OK(t, "get-deployment-metadata", nil), "The site is live at https://insforge-"+id[:8]+".vercel.app and at https://my-app.insforge.site")

	h.Backend.SetDeploymentsConfigured(false)
	testmcp.WantText(t, h.OK(t, "get-deployment-metadata", nil), "no hosting metadata")
	h.Backend.Fail("GET", "/api/deployments/metadata", &insforgefake.APIError{Status: 403, Code: "FORBIDDEN", Message: "Admin access required"})
	testmcp.WantText(t, h.Fail(t, "get-deployment-metadata", nil), "403")
}

// ---- environment variables ----

func TestDeployEnvVars(t *testing.T) {
	t.Parallel()
	h := testmcp.New(t, testmcp.Options{})
	testmcp.WantText(t, h.OK(t, "list-deployment-env-vars", nil), "no environment variables")

	secret := "sk_live_do_not_echo"
	text := h.OK(t, "set-deployment-env-vars", map[string]any{"envVars": []any{
		map[string]any{"key": " VITE_INSFORGE_URL ", "value": "https://x.insforge.app"},
		map[string]any{"key": "STRIPE_KEY", "value": secret},
	}})
	req := h.Last(t, "POST", "/api/deployments/env-vars")
	testmcp.WantAdminAuth(t, req)
	deployEqualJSON(t, "set body", testmcp.BodyObject(t, req), fmt.Sprintf(`{"envVars":[{"key":"VITE_INSFORGE_URL","value":"https://x.insforge.app"},{"key":"STRIPE_KEY","value":%q}]}`, secret))
	testmcp.WantText(t, text, "Saved 2 environment variables (VITE_INSFORGE_URL, STRIPE_KEY)", "next build")
	if strings.Contains(text, secret) {
		t.Error("set-deployment-env-vars echoed a value")
	}

	text = h.OK(t, "list-deployment-env-vars", nil)
	testmcp.WantAdminAuth(t, h.Last(t, "GET", "/api/deployments/env-vars"))
	testmcp.WantText(t, text, "2 environment variables", "STRIPE_KEY")
	if strings.Contains(text, secret) {
		t.Error("listing shows a value")
	}

	var got struct {
		EnvVar map[string]any `json:"envVar"`
	}
	h.Structured(t, "get-deployment-env-var", map[string]any{"key": "STRIPE_KEY"}, &got)
	id := fmt.Sprint(got.EnvVar["id"])
	if got.EnvVar["value"] != secret {
		t.Errorf("get by key: %v", got)
	}
	testmcp.WantAdminAuth(t, h.Last(t, "GET", "/api/deployments/env-vars/"+id))
	testmcp.WantText(t, h.OK(t, "get-deployment-env-var", map[string]any{"id": id}), secret, "do not repeat secret values")

	testmcp.WantText(t, h.Fail(t, "get-deployment-env-var", map[string]any{"key": "NOPE"}), "no environment variable NOPE", "STRIPE_KEY")
	testmcp.WantText(t, h.Fail(t, "get-deployment-env-var", map[string]any{"id": "env_missing"}), "no environment variable env_missing", "404")
	testmcp.WantText(t, h.Fail(t, "get-deployment-env-var", map[string]any{}), "give the variable's key")
	testmcp.WantText(t, h.Fail(t, "get-deployment-env-var", map[string]any{"id": id, "key": "STRIPE_KEY"}), "either id or key")

	text = h.OK(t, "delete-deployment-env-var", map[string]any{"key": "STRIPE_KEY"})
	testmcp.WantAdminAuth(t, h.Last(t, "DELETE", "/api/deployments/env-vars/"+id))
	testmcp.WantText(t, text, "STRIPE_KEY is deleted")
	if _, ok := h.Backend.DeploymentEnvVars()["STRIPE_KEY"]; ok {
		t.Error("not deleted")
	}
	testmcp.WantText(t, h.Fail(t, "delete-deployment-env-var", map[string]any{"id": id}), "no environment variable "+id)

	h.Backend.Reset()
	testmcp.WantText(t, h.Fail(t, "set-deployment-env-vars", map[string]any{"envVars": []any{}}), "at least one")
	testmcp.WantText(t, h.Fail(t, "set-deployment-env-vars", map[string]any{"envVars": []any{map[string]any{"key": "A", "value": "1"}, map[string]any{"key": "A", "value": "2"}}}), "twice")
	if len(h.Backend.Requests()) != 0 {
		t.Error("invalid env vars reached the backend")
	}
	h.Backend.SetDeploymentsConfigured(false)
	testmcp.WantText(t, h.Fail(t, "list-deployment-env-vars", nil), "Hosting is not available", "VERCEL_TOKEN")
	testmcp.WantText(t, h.Fail(t, "set-deployment-env-vars", map[string]any{"envVars": []any{map[string]any{"key": "A", "value": "1"}}}), "503")
}

// ---- custom domains ----

func TestDeployCustomDomains(t *testing.T) {
	t.Parallel()
	h := testmcp.New(t, testmcp.Options{})
	testmcp.WantText(t, h.OK(t, "list-custom-domains", nil), "No custom domains")

	var dom map[string]any
	h.Structured(t, "add-custom-domain", map[string]any{"domain": "WWW.Example.com"}, &dom)
	req := h.Last(t, "POST", "/api/deployments/domains")
	testmcp.WantAdminAuth(t, req)
	deployEqualJSON(t, "add body", testmcp.BodyObject(t, req), `{"domain":"www.example.com"}`)
	if dom["domain"] != "www.example.com" || dom["verified"] != false || dom["cnameTarget"] != "cname.vercel-dns.com" {
		t.Errorf("added %v", dom)
	}
	testmcp.WantText(t, h.OK(t, "add-custom-domain", map[string]any{"domain": "example.org"}), "not verified yet", "DNS")
	testmcp.WantText(t, h.Fail(t, "add-custom-domain", map[string]any{"domain": "www.example.com"}), "already attached", "409")

	testmcp.WantText(t, h.OK(t, "list-custom-domains", nil), "2 custom domains")
	testmcp.WantAdminAuth(t, h.Last(t, "GET", "/api/deployments/domains"))

	testmcp.WantText(t, h.OK(t, "verify-custom-domain", map[string]any{"domain": "www.example.com"}), "not verified yet")
	testmcp.WantAdminAuth(t, h.Last(t, "POST", "/api/deployments/domains/www.example.com/verify"))
	h.Backend.SetCustomDomainDNSReady("www.example.com")
	testmcp.WantText(t, h.OK(t, "verify-custom-domain", map[string]any{"domain": "www.example.com"}), "verified and correctly configured", "https://www.example.com")
	testmcp.WantText(t, h.Fail(t, "verify-custom-domain", map[string]any{"domain": "nope.example.net"}), "not attached", "404")

	testmcp.WantText(t, h.OK(t, "remove-custom-domain", map[string]any{"domain": "example.org"}), "example.org is removed")
	testmcp.WantAdminAuth(t, h.Last(t, "DELETE", "/api/deployments/domains/example.org"))
	if got := h.Backend.CustomDomains(); !slices.Equal(got, []string{"www.example.com"}) {
		t.Errorf("domains %v", got)
	}
	testmcp.WantText(t, h.Fail(t, "remove-custom-domain", map[string]any{"domain": "example.org"}), "not attached", "404")

	h.Backend.Reset()
	testmcp.WantText(t, h.Fail(t, "add-custom-domain", map[string]any{"domain": "https://example.com/x"}), "not a bare domain")
	testmcp.WantText(t, h.Fail(t, "add-custom-domain", map[string]any{"domain": "my-app.insforge.site"}), "reserved", "set-project-slug")
	testmcp.WantText(t, h.Fail(t, "add-custom-domain", map[string]any{"domain": "localhost"}), "not a valid domain")
	if len(h.Backend.Requests()) != 0 {
		t.Error("invalid domains reached the backend")
	}
}

// ---- slug ----

func TestDeployProjectSlug(t *testing.T) {
	t.Parallel()
	h := testmcp.New(t, testmcp.Options{})
	text := h.OK(t, "set-project-slug", map[string]any{"slug": "my-app"})
	req := h.Last(t, "PUT", "/api/deployments/slug")
	testmcp.WantAdminAuth(t, req)
	deployEqualJSON(t, "slug body", testmcp.BodyObject(t, req), `{"slug":"my-app"}`)
	testmcp.WantText(t, text, "slug is now my-app", "my-app.insforge.site")

	testmcp.WantText(t, h.OK(t, "set-project-slug", map[string]any{"reset": true}), "custom slug is removed")
	deployEqualJSON(t, "reset body", testmcp.BodyObject(t, h.Last(t, "PUT", "/api/deployments/slug")), `{"slug":null}`)
	if h.Backend.DeploymentSlug() != nil {
		t.Error("slug not cleared")
	}

	h.Backend.ReserveDeploymentSlug("taken")
	testmcp.WantText(t, h.Fail(t, "set-project-slug", map[string]any{"slug": "taken"}), "is taken (409)")
	h.Backend.SetDeploymentSlugCloud(false)
	testmcp.WantText(t, h.Fail(t, "set-project-slug", map[string]any{"slug": "my-app"}), "only on InsForge Cloud", "503", "add-custom-domain")

	h.Backend.Reset()
	testmcp.WantText(t, h.Fail(t, "set-project-slug", map[string]any{"slug": "-bad-"}), "not a valid slug")
	testmcp.WantText(t, h.Fail(t, "set-project-slug", map[string]any{"slug": "ab"}), "not a valid slug")
	testmcp.WantText(t, h.Fail(t, "set-project-slug", map[string]any{}), "give slug")
	testmcp.WantText(t, h.Fail(t, "set-project-slug", map[string]any{"slug": "ok-slug", "reset": true}), "not both")
	if len(h.Backend.Requests()) != 0 {
		t.Error("invalid slugs reached the backend")
	}
}

// ---- catalogue ----

var deployAllTools = []string{
	"create-deployment", "start-deployment", "list-deployments", "get-deployment", "sync-deployment",
	"cancel-deployment", "get-deployment-metadata", "list-deployment-env-vars", "get-deployment-env-var",
	"set-deployment-env-vars", "delete-deployment-env-var", "list-custom-domains", "add-custom-domain",
	"verify-custom-domain", "remove-custom-domain", "set-project-slug",
}

var deployReadTools = []string{
	"list-deployments", "get-deployment", "sync-deployment", "get-deployment-metadata",
	"list-deployment-env-vars", "get-deployment-env-var", "list-custom-domains",
}

func TestDeployReadOnlyModeHidesWrites(t *testing.T) {
	t.Parallel()
	all := testmcp.New(t, testmcp.Options{Selection: tools.Selection{Toolsets: []string{"deployments"}}}).ToolNames(t)
	for _, n := range deployAllTools {
		if !slices.Contains(all, n) {
			t.Errorf("%s is not served", n)
		}
	}
	names := testmcp.New(t, testmcp.Options{Selection: tools.Selection{ReadOnly: true}}).ToolNames(t)
	for _, n := range deployAllTools {
		if got, want := slices.Contains(names, n), slices.Contains(deployReadTools, n); got != want {
			t.Errorf("read-only mode: %s listed = %v, want %v", n, got, want)
		}
	}
}
