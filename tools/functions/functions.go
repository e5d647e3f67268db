// Package functions declares the edge function tools: Deno functions
// stored and deployed by the backend (routes under /api/functions) and
// their invocation through the function proxy /functions/{slug} (no /api
// prefix, no authentication by the proxy).
//
// create-function keeps the official parameters (name, slug, status,
// codeFile) and adds inline code: codeFile is required by the official
// server, but an agent usually holds the code in hand and the server may
// not share the agent's file system, so here code and codeFile are both
// optional and exactly one must be given (checked before any request).
package functions

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/insforge-mcp/insforge-mcp/insforge"
	"github.com/insforge-mcp/insforge-mcp/tools"
)

// CreateInput are the arguments of create-function (official names
// plus code and description).
type CreateInput struct {
	Name        string `json:"name" jsonschema:"required,minLength=1" jsonschema_description:"Also gives the slug if none."`
	Slug        string `json:"slug,omitempty" jsonschema:"pattern=^[a-zA-Z0-9_-]+$" jsonschema_description:"Permanent URL name; 'health' is reserved."`
	Code        string `json:"code,omitempty" jsonschema_description:"Inline source."`
	CodeFile    string `json:"codeFile,omitempty" jsonschema_description:"Path on the server's machine."`
	Description string `json:"description,omitempty" jsonschema_description:"Shown in list-functions."`
	Status      string `json:"status,omitempty" jsonschema:"enum=draft,enum=active,default=active" jsonschema_description:"draft: stored, not served."`
}

// UpdateInput are the arguments of update-function (official names
// plus code and description).
type UpdateInput struct {
	Slug        string  `json:"slug" jsonschema:"required,minLength=1" jsonschema_description:"From list-functions."`
	Name        *string `json:"name,omitempty" jsonschema_description:"New display name."`
	Code        *string `json:"code,omitempty" jsonschema_description:"Inline source."`
	CodeFile    string  `json:"codeFile,omitempty" jsonschema_description:"Path on the server's machine."`
	Description *string `json:"description,omitempty" jsonschema_description:"New description."`
	Status      string  `json:"status,omitempty" jsonschema:"enum=draft,enum=active" jsonschema_description:"draft: stored, not served."`
}

// SlugInput names one function (get-function, delete-function).
type SlugInput struct {
	Slug string `json:"slug" jsonschema:"required,minLength=1" jsonschema_description:"From list-functions."`
}

// InvokeInput are the arguments of invoke-function.
type InvokeInput struct {
	Slug    string            `json:"slug" jsonschema:"required,minLength=1" jsonschema_description:"From list-functions."`
	Method  string            `json:"method,omitempty" jsonschema:"enum=GET,enum=POST,enum=PUT,enum=PATCH,enum=DELETE,default=POST" jsonschema_description:"HTTP method."`
	Body    json.RawMessage   `json:"body,omitempty" jsonschema:"type=object" jsonschema_description:"JSON body; not with GET."`
	Headers map[string]string `json:"headers,omitempty" jsonschema_description:"e.g. Authorization: Bearer {token}."`
	Query   map[string]string `json:"query,omitempty" jsonschema_description:"Query string."`
}

const (
	// maxCodeBytes caps a codeFile: a function is one self-contained file.
	maxCodeBytes = 1 << 20
	// maxBodyText caps the text of an invoke answer shown to the agent.
	maxBodyText = 16 << 10
	// maxBuildLog caps the build logs quoted in a deploy failure.
	maxBuildLog = 4000

	codeForms = "Write `export default async function(req: Request) { … }` on InsForge Cloud, and `module.exports = async function(req) { … }` on a self-hosted backend " +
		"(its local runtime accepts export default when saving, but every invoke then fails with 500 \"Unexpected token 'export'\")."
)

var (
	slugRE          = regexp.MustCompile(`^[a-zA-Z0-9_-]+$`)
	denoServeRE     = regexp.MustCompile(`Deno\.serve\s*\(`)
	exportDefaultRE = regexp.MustCompile(`\bexport\s+default\b`)
	moduleExportsRE = regexp.MustCompile(`\bmodule\.exports\b`)
	spacesRE        = regexp.MustCompile(`\s+`)

	// forbiddenHeaders are headers invoke-function refuses to send: set by
	// the HTTP client itself, or carrying the admin key.
	forbiddenHeaders = []string{"Host", "Content-Length", "Transfer-Encoding", "Connection", "X-Api-Key"}
	// shownHeaders are the response headers worth showing.
	shownHeaders = []string{"Content-Type", "Content-Length", "Location", "Retry-After", "Www-Authenticate"}
)

// List is list-functions.
func List() tools.Tool {
	return tools.Define(tools.Spec{
		Name:        "list-functions",
		Title:       "List edge functions",
		Hints:       tools.Read,
		Description: "List edge functions (no code) and the runtime's status.",
	}, listFunctions)
}

// Get is get-function.
func Get() tools.Tool {
	return tools.Define(tools.Spec{
		Name:        "get-function",
		Title:       "Get an edge function's code",
		Hints:       tools.Read,
		Description: "Get an edge function's code and status; read it before update-function.",
	}, getFunction)
}

// Create is create-function.
func Create() tools.Tool {
	return tools.Define(tools.Spec{
		Name:  "create-function",
		Title: "Create an edge function",
		Hints: tools.Create,
		Description: "Create a Deno edge function at /functions/{slug} from code or codeFile. " +
			"Cloud: `export default async function(req: Request) {…}`; self-hosted: `module.exports = async function(req) {…}`. Never Deno.serve().",
	}, createFunction)
}

// Update is update-function.
func Update() tools.Tool {
	return tools.Define(tools.Spec{
		Name:        "update-function",
		Title:       "Update an edge function",
		Hints:       tools.Change,
		Description: "Change an edge function; omitted fields stay. New code replaces all of it, in create-function's form.",
	}, updateFunction)
}

// Delete is delete-function.
func Delete() tools.Tool {
	return tools.Define(tools.Spec{
		Name:        "delete-function",
		Title:       "Delete an edge function",
		Hints:       tools.Remove,
		Description: "Delete an edge function for good; confirm with the user, or unpublish it with update-function status draft.",
	}, deleteFunction)
}

// Invoke is invoke-function.
func Invoke() tools.Tool {
	return tools.Define(tools.Spec{
		Name:  "invoke-function",
		Title: "Call an edge function",
		Hints: tools.Create,
		Description: "Call an active edge function as an app would. It sends only your headers, never the admin key: add the anon key (get-anon-key) or a user token if it checks auth. " +
			"On 500, see function.logs.",
	}, invokeFunction)
}

// ---- list / get ----

func listFunctions(ctx context.Context, env *tools.Env, _ tools.NoInput) (*tools.Result, error) {
	out, _, err := insforge.Call[map[string]any](ctx, env.Client, insforge.Request{Path: "/api/functions"})
	if err != nil {
		return nil, err
	}
	if out == nil {
		out = map[string]any{}
	}
	fns, _ := out["functions"].([]any)
	if fns == nil {
		out["functions"] = []any{}
	}
	counts := map[string]int{}
	for _, f := range fns {
		if m, ok := f.(map[string]any); ok {
			if s, ok := m["status"].(string); ok && slices.Contains([]string{"active", "draft", "error"}, s) {
				counts[s]++
			}
		}
	}
	var b strings.Builder
	b.WriteString(tools.PluralNoun(len(fns), "edge function", "edge functions"))
	var parts []string
	for _, s := range []string{"active", "draft", "error"} {
		if counts[s] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", counts[s], s))
		}
	}
	if len(parts) > 0 {
		b.WriteString(" (" + strings.Join(parts, ", ") + ")")
	}
	b.WriteString(".")
	runtime, _ := out["runtime"].(map[string]any)
	switch status, _ := runtime["status"].(string); status {
	case "running":
		b.WriteString(" The function runtime is running.")
	case "unavailable":
		b.WriteString(" The function runtime is unavailable: invokes will fail (502) until it is back. On a self-hosted backend the Deno runtime container is down or unreachable; check get-container-logs with source function.logs.")
	}
	switch backendKind(env, out) {
	case "cloud":
		b.WriteString(" This is InsForge Cloud: write functions as `export default async function(req: Request) { … }`.")
	case "self-hosted":
		b.WriteString(" This looks like a self-hosted backend (no Cloud deployment URL, project URL not *.insforge.app): write functions as `module.exports = async function(req) { … }`.")
	}
	if counts["draft"] > 0 {
		b.WriteString(" Draft functions are not served until update-function sets status active.")
	}
	return tools.Found(b.String(), out), nil
}

// backendKind guesses where functions run: "cloud" (Deno Subhosting,
// ES modules) or "self-hosted" (local runtime, module.exports), from the
// project URL and the list's deploymentUrl.
func backendKind(env *tools.Env, list map[string]any) string {
	if u, err := url.Parse(env.Client.BaseURL()); err == nil && strings.HasSuffix(strings.ToLower(u.Hostname()), ".insforge.app") {
		return "cloud"
	}
	if d, _ := list["deploymentUrl"].(string); d != "" {
		return "cloud"
	}
	return "self-hosted"
}

func getFunction(ctx context.Context, env *tools.Env, in SlugInput) (*tools.Result, error) {
	out, _, err := insforge.Call[map[string]any](ctx, env.Client, insforge.Request{Path: path(in.Slug)})
	if err != nil {
		return nil, notFound(err, in.Slug, "")
	}
	summary := fmt.Sprintf("Edge function %s with its code", in.Slug)
	switch s, _ := out["status"].(string); s {
	case "active":
		summary += fmt.Sprintf("; it is active and served at %s.", invokeURL(env, in.Slug))
	case "draft":
		summary += "; it is a draft, not served until update-function sets status active."
	case "error":
		summary += "; its status is error."
	default:
		summary += "."
	}
	return tools.Found(summary, out), nil
}

// ---- create / update ----

func createFunction(ctx context.Context, env *tools.Env, in CreateInput) (*tools.Result, error) {
	if strings.TrimSpace(in.Name) == "" {
		return nil, tools.Errorf("name is blank: give the function a display name. Nothing was sent.")
	}
	slug := in.Slug
	if slug != "" {
		if err := checkSlug(slug); err != nil {
			return nil, err
		}
	} else {
		slug = spacesRE.ReplaceAllString(strings.ToLower(in.Name), "-")
		if strings.EqualFold(slug, "health") {
			return nil, tools.Errorf("the name %q gives the slug %q, which is reserved by the function runtime: pass another slug. Nothing was sent.", in.Name, slug)
		}
		if !slugRE.MatchString(slug) {
			return nil, tools.Errorf("the name %q would give the slug %q, which has characters the function router cannot serve: pass a slug made of letters, digits, _ and -. Nothing was sent.", in.Name, slug)
		}
	}
	var inline *string
	if in.Code != "" {
		inline = &in.Code
	}
	src, given, err := code(env, inline, in.CodeFile)
	if err != nil {
		return nil, err
	}
	if !given {
		return nil, tools.Errorf("create-function needs the function's code: pass it inline in code, or give codeFile (the absolute path of a file on the machine running this MCP server). %s Nothing was sent.", codeForms)
	}
	body := map[string]any{"name": in.Name, "code": src}
	if in.Slug != "" {
		body["slug"] = in.Slug
	}
	if in.Description != "" {
		body["description"] = in.Description
	}
	if in.Status != "" {
		body["status"] = in.Status
	}
	out, _, err := insforge.Call[map[string]any](ctx, env.Client, insforge.Request{Method: http.MethodPost, Path: "/api/functions", Body: body})
	if err != nil {
		if insforge.StatusOf(err) == http.StatusConflict {
			return nil, tools.Errorf("%s Change that function with update-function (slug %s), or choose another slug.", tools.Explain(err), slug)
		}
		return nil, validation(err)
	}
	status := in.Status
	if status == "" {
		status = "active"
	}
	if s, ok := field(out, "slug"); ok && slugRE.MatchString(s) {
		slug = s
	}
	if err := deployFailed(out, "create-function", slug, status); err != nil {
		return nil, err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Created edge function %s (status %s)", slug, status)
	if status == "active" {
		fmt.Fprintf(&b, ", served at %s.", invokeURL(env, slug))
		b.WriteString(deployNote(out, src))
		b.WriteString(" Test it once with invoke-function.")
	} else {
		b.WriteString(": it is stored but not served until update-function sets status active.")
	}
	b.WriteString(" The code is left out below; get-function shows it.")
	return tools.Found(b.String(), withoutCode(out)), nil
}

func updateFunction(ctx context.Context, env *tools.Env, in UpdateInput) (*tools.Result, error) {
	body := map[string]any{}
	var changed []string
	if in.Name != nil {
		if strings.TrimSpace(*in.Name) == "" {
			return nil, tools.Errorf("name is blank: give a display name, or leave name out to keep the current one. Nothing was sent.")
		}
		body["name"] = *in.Name
		changed = append(changed, "name")
	}
	src, hasCode, err := code(env, in.Code, in.CodeFile)
	if err != nil {
		return nil, err
	}
	if hasCode {
		body["code"] = src
		changed = append(changed, "code")
	}
	if in.Description != nil {
		body["description"] = *in.Description
		changed = append(changed, "description")
	}
	if in.Status != "" {
		body["status"] = in.Status
		changed = append(changed, "status")
	}
	if len(body) == 0 {
		return nil, tools.Errorf("update-function needs at least one change: name, code (or codeFile), description or status. The slug cannot change: to rename it, create a new function and delete this one. Nothing was sent.")
	}
	out, _, err := insforge.Call[map[string]any](ctx, env.Client, insforge.Request{Method: http.MethodPut, Path: path(in.Slug), Body: body})
	if err != nil {
		return nil, validation(notFound(err, in.Slug, " Nothing was changed."))
	}
	status, _ := field(out, "status")
	if err := deployFailed(out, "update-function", in.Slug, status); err != nil {
		return nil, err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Updated edge function %s (%s)", in.Slug, strings.Join(changed, ", "))
	switch status {
	case "active":
		fmt.Fprintf(&b, "; it is active and served at %s.", invokeURL(env, in.Slug))
		if hasCode || in.Status != "" {
			if hasCode {
				b.WriteString(deployNote(out, src))
			} else if _, deployed := deployment(out); deployed {
				b.WriteString(" All active functions were redeployed on InsForge Cloud.")
			}
			b.WriteString(" Test it with invoke-function.")
		}
	case "draft":
		b.WriteString("; it is a draft, so it is not served.")
	default:
		b.WriteString(".")
	}
	if hasCode {
		b.WriteString(" The code is left out below; get-function shows it.")
	}
	return tools.Found(b.String(), withoutCode(out)), nil
}

func deleteFunction(ctx context.Context, env *tools.Env, in SlugInput) (*tools.Result, error) {
	out, _, err := insforge.Call[map[string]any](ctx, env.Client, insforge.Request{Method: http.MethodDelete, Path: path(in.Slug)})
	if err != nil {
		return nil, notFound(err, in.Slug, " Nothing was deleted; it may already be gone.")
	}
	return tools.Found(fmt.Sprintf("Deleted edge function %s: %s now answers 404. On InsForge Cloud the remaining active functions are redeployed in the background.", in.Slug, invokeURL(env, in.Slug)), out), nil
}

// ---- invoke ----

func invokeFunction(ctx context.Context, env *tools.Env, in InvokeInput) (*tools.Result, error) {
	if strings.Contains(in.Slug, "/") {
		return nil, tools.Errorf("slug %q contains '/': the invoke path has exactly one segment after /functions/. Nothing was sent.", in.Slug)
	}
	method := in.Method
	if method == "" {
		method = http.MethodPost
	}
	header := http.Header{}
	for name, value := range in.Headers {
		if !validHeaderName(name) {
			return nil, tools.Errorf("header name %q is not a valid HTTP header name. Nothing was sent.", name)
		}
		canon := http.CanonicalHeaderKey(name)
		if slices.Contains(forbiddenHeaders, canon) {
			if canon == "X-Api-Key" {
				return nil, tools.Errorf("invoke-function does not send an x-api-key header: the proxy forwards every header to the function's code, so an admin key must never travel with it. Nothing was sent.")
			}
			return nil, tools.Errorf("header %s is set by the HTTP client itself; leave it out. Nothing was sent.", canon)
		}
		if strings.ContainsAny(value, "\r\n") {
			return nil, tools.Errorf("the value of header %s contains a line break. Nothing was sent.", canon)
		}
		if canon == "Authorization" && looksLikeAdminKey(value) {
			return nil, tools.Errorf("refused to send an admin API key (ik_…) to the function: the proxy forwards every header to the function's code. Pass the anon key (get-anon-key) or a user's access token as Authorization: Bearer …. Nothing was sent.")
		}
		header.Set(canon, value)
	}
	// User code decides whether a call is safe to repeat, and the runtime
	// allows a function 60 s: no retries, and a longer limit than usual.
	req := insforge.Request{Method: method, Path: "/functions/" + url.PathEscape(in.Slug), Header: header, NoAuth: true, NoRetry: true, AnyStatus: true, Timeout: 65 * time.Second}
	if len(in.Query) > 0 {
		req.Query = url.Values{}
		for k, v := range in.Query {
			req.Query.Set(k, v)
		}
	}
	if body := bytes.TrimSpace(in.Body); len(body) > 0 && string(body) != "null" {
		if method == http.MethodGet {
			return nil, tools.Errorf("a GET request carries no body through the function proxy: put the values in query, or use method POST. Nothing was sent.")
		}
		req.Body = json.RawMessage(body)
		req.ContentType = "application/json"
		if ct := header.Get("Content-Type"); ct != "" {
			if mt, _, err := mime.ParseMediaType(ct); err != nil || !(mt == "application/json" || strings.HasSuffix(mt, "+json")) {
				return nil, tools.Errorf("Content-Type %q cannot carry the body: the proxy forwards only JSON bodies (other types arrive as {}). Leave Content-Type out. Nothing was sent.", ct)
			}
			req.ContentType = ct
			header.Del("Content-Type")
		}
	}

	// AnyStatus: the function's own status is its answer, not an error.
	raw, resp, err := insforge.Call[[]byte](ctx, env.Client, req)
	if err != nil {
		return nil, err
	}
	where := invokeURL(env, in.Slug)
	switch {
	case resp.Status == http.StatusNotFound && runtimeNotFound(raw):
		return nil, tools.Errorf("%s %s answered 404 \"Function not found or not active\": there is no active function with slug %s. Check the slug with list-functions; a draft function must first be activated with update-function (status active).", method, where, in.Slug)
	case resp.Status == http.StatusBadGateway:
		return nil, tools.Errorf("%s %s answered 502: the backend's function proxy could not reach the function runtime (%s). On a self-hosted backend the Deno runtime may be down (list-functions shows its status); on InsForge Cloud the last deployment may have failed (get-function-build-logs). Check get-container-logs with source function.logs, then retry.",
			method, where, proxyMessage(raw))
	}
	return invokeResult(method, where, resp, raw), nil
}

// invokeResult turns the function's answer, whatever its status, into a
// result: status, a few headers, and the body (raw).
func invokeResult(method, where string, resp *insforge.Response, raw []byte) *tools.Result {
	headers := map[string]any{}
	for _, h := range shownHeaders {
		if v := resp.Header.Get(h); v != "" {
			headers[strings.ToLower(h)] = v
		}
	}
	data := map[string]any{"status": resp.Status, "headers": headers}
	ct := resp.Header.Get("Content-Type")
	mt, _, _ := mime.ParseMediaType(ct)
	shown, kind := body(raw, mt)
	data["body"] = shown

	var b strings.Builder
	ok := resp.Status >= 200 && resp.Status < 300
	conj := " with"
	if ok {
		fmt.Fprintf(&b, "%s %s: the function answered %d", method, where, resp.Status)
	} else {
		fmt.Fprintf(&b, "%s %s: the function answered with status %d", method, where, resp.Status)
		conj = " and"
	}
	switch kind {
	case "empty":
		b.WriteString(conj + " an empty body.")
	case "json":
		b.WriteString(conj + " a JSON body.")
	case "text":
		fmt.Fprintf(&b, "%s a %d-byte text body.", conj, len(raw))
	case "truncated":
		fmt.Fprintf(&b, "%s a %d-byte text body; only the first %d bytes are shown.", conj, len(raw), maxBodyText)
	case "binary":
		fmt.Fprintf(&b, "%s a %d-byte binary body (%s), not shown.", conj, len(raw), orUnknown(mt))
		data["bodyBytes"] = len(raw)
	}
	if !ok {
		b.WriteString(" This is the function's own response (below), not a transport failure.")
	}
	text := string(raw)
	switch {
	case resp.Status == http.StatusInternalServerError && strings.Contains(text, "Unexpected token 'export'"):
		b.WriteString(" The runtime could not load the code: this self-hosted backend needs `module.exports = async function(req) { … }` instead of `export default …`. Fix it with update-function, then invoke again.")
	case resp.Status == http.StatusGatewayTimeout:
		b.WriteString(" The function ran too long and was stopped (the self-hosted runtime allows 60 s by default); check get-container-logs with source function.logs.")
	case resp.Status >= 500:
		b.WriteString(" Read get-container-logs with source function.logs for the function's error output, and check the code form (see create-function).")
	case resp.Status == http.StatusUnauthorized || resp.Status == http.StatusForbidden:
		b.WriteString(" The proxy does no authentication, so the function itself refused the call: pass the credential it expects in headers (Authorization: Bearer <anon key from get-anon-key, or a user's access token>).")
	}
	return tools.Found(b.String(), data)
}

// body decodes an invoke answer: JSON when it is JSON, else capped text,
// else nothing (binary). kind is empty, json, text, truncated or binary.
func body(data []byte, mediaType string) (any, string) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, "empty"
	}
	jsonType := mediaType == "application/json" || strings.HasSuffix(mediaType, "+json")
	if len(data) <= 4*maxBodyText && (jsonType || mediaType == "" || strings.HasPrefix(mediaType, "text/")) {
		var v any
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber() // bigints stay exact
		if dec.Decode(&v) == nil {
			return v, "json"
		}
	}
	textual := jsonType || mediaType == "" || strings.HasPrefix(mediaType, "text/") ||
		strings.HasSuffix(mediaType, "+xml") || mediaType == "application/xml" || mediaType == "application/javascript"
	if !textual || !utf8.Valid(data) {
		return nil, "binary"
	}
	if len(data) > maxBodyText {
		cut := maxBodyText
		for cut > 0 && !utf8.RuneStart(data[cut]) {
			cut--
		}
		return string(data[:cut]), "truncated"
	}
	return string(data), "text"
}

// runtimeNotFound reports whether a 404 is the runtime's "Function not
// found or not active" rather than the function's own 404.
func runtimeNotFound(body []byte) bool {
	var v struct {
		Error string `json:"error"`
	}
	if json.Unmarshal(body, &v) != nil {
		return false
	}
	return strings.Contains(strings.ToLower(v.Error), "function not found")
}

// proxyMessage is the proxy's 502 {error} message, clipped.
func proxyMessage(body []byte) string {
	var v struct {
		Error string `json:"error"`
	}
	msg := strings.TrimSpace(string(body))
	if json.Unmarshal(body, &v) == nil && v.Error != "" {
		msg = v.Error
	}
	if msg == "" {
		return "no details"
	}
	return tools.Clip(msg, 300)
}

func validHeaderName(name string) bool {
	if name == "" {
		return false
	}
	for _, r := range name {
		if r > 126 || r <= 32 || strings.ContainsRune(`"(),/:;<=>?@[\]{}`, r) {
			return false
		}
	}
	return true
}

// looksLikeAdminKey reports whether an Authorization value carries an
// admin API key (ik_…), with or without the Bearer scheme.
func looksLikeAdminKey(v string) bool {
	v = strings.TrimSpace(v)
	if len(v) >= 7 && strings.EqualFold(v[:7], "bearer ") {
		v = strings.TrimSpace(v[7:])
	}
	return strings.HasPrefix(v, "ik_")
}

// ---- code ----

// code returns the code to send: the inline code or the contents of
// codeFile, checked. given is false when neither was passed.
func code(env *tools.Env, inline *string, codeFile string) (string, bool, error) {
	var src string
	switch {
	case inline != nil && codeFile != "":
		return "", false, tools.Errorf("give the code either inline in code or as a file path in codeFile, not both. Nothing was sent.")
	case codeFile != "":
		c, err := readCodeFile(env, codeFile)
		if err != nil {
			return "", false, err
		}
		src = c
	case inline != nil:
		src = *inline
	default:
		return "", false, nil
	}
	if strings.TrimSpace(src) == "" {
		return "", false, tools.Errorf("the code is empty. %s Nothing was sent.", codeForms)
	}
	if denoServeRE.MatchString(src) {
		return "", false, tools.Errorf("the code calls Deno.serve(…), which the backend rejects (400): the runtime serves the function itself, so export a handler instead. %s Nothing was sent.", codeForms)
	}
	return src, true, nil
}

func readCodeFile(env *tools.Env, name string) (string, error) {
	path, err := tools.LocalPath(env, name)
	if err != nil {
		return "", err
	}
	info, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		msg := tools.MissingLocal(env, "codeFile", name, path,
			"This server is reached over HTTP and may not run on your machine, so it cannot see your files: pass the code inline in code instead",
			"Check the path, or pass the code inline in code")
		return "", tools.Errorf("%s. Nothing was sent.", msg)
	case err != nil:
		return "", tools.Errorf("cannot read codeFile %s: %v. Pass the code inline in code instead. Nothing was sent.", path, err)
	case !info.Mode().IsRegular():
		return "", tools.Errorf("codeFile %s is not a regular file; give the path of the function's source file. Nothing was sent.", path)
	case info.Size() > maxCodeBytes:
		return "", tools.Errorf("codeFile %s is %d bytes; a function's code is limited to 1 MiB here (one self-contained file; import packages with npm: or https: specifiers instead of bundling them). Nothing was sent.", path, info.Size())
	}
	f, err := os.Open(path)
	if err != nil {
		return "", tools.Errorf("cannot open codeFile %s: %v. Nothing was sent.", path, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxCodeBytes+1))
	if err != nil {
		return "", tools.Errorf("cannot read codeFile %s: %v. Nothing was sent.", path, err)
	}
	if len(data) > maxCodeBytes {
		return "", tools.Errorf("codeFile %s is larger than 1 MiB. Nothing was sent.", path)
	}
	if !utf8.Valid(data) {
		return "", tools.Errorf("codeFile %s is not UTF-8 text; give the path of a JavaScript or TypeScript source file. Nothing was sent.", path)
	}
	return string(data), nil
}

func checkSlug(slug string) error {
	if !slugRE.MatchString(slug) {
		return tools.Errorf("slug %q may only contain letters, digits, _ and -. Nothing was sent.", slug)
	}
	if strings.EqualFold(slug, "health") {
		return tools.Errorf("slug %q is reserved by the function runtime; choose another. Nothing was sent.", slug)
	}
	return nil
}

// ---- results ----

// deployment returns the write result's deployment object, if any.
func deployment(out map[string]any) (map[string]any, bool) {
	d, ok := out["deployment"].(map[string]any)
	return d, ok
}

// deployFailed turns a write whose deploy failed (2xx with success:false)
// into an error that quotes the trimmed build logs.
func deployFailed(out map[string]any, tool, slug, status string) error {
	if ok, isBool := out["success"].(bool); !isBool || ok {
		return nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s saved function %s", tool, slug)
	if status != "" {
		fmt.Fprintf(&b, " (status %s)", status)
	}
	b.WriteString(", but its deployment failed")
	d, _ := deployment(out)
	if id, ok := d["id"].(string); ok && id != "" {
		fmt.Fprintf(&b, " (deployment %s)", tools.Clip(id, 80))
	}
	b.WriteString(". The backend keeps the saved code (no rollback), and all active functions deploy together, so a broken function blocks the deploy of every other one: " +
		"fix it and call update-function with the corrected code, or set status draft until it is fixed. " +
		"On InsForge Cloud the code must be an ES module, `export default async function(req: Request) { … }`, and must not call Deno.serve().")
	logs, _ := d["buildLogs"].([]any)
	if len(logs) == 0 {
		b.WriteString(" The backend sent no build logs; try get-function-build-logs.")
		return tools.Errorf("%s", b.String())
	}
	lines := make([]string, 0, len(logs))
	for _, l := range logs {
		if s, ok := l.(string); ok {
			lines = append(lines, tools.Clip(strings.TrimRight(s, "\r\n"), 300))
		}
	}
	// Keep the last lines that fit: the error is usually at the end.
	size, first := 0, len(lines)
	for first > 0 && size+len(lines[first-1])+1 <= maxBuildLog {
		first--
		size += len(lines[first]) + 1
	}
	if first == len(lines) && len(lines) > 0 { // one huge line
		first = len(lines) - 1
	}
	fmt.Fprintf(&b, "\n\nBuild logs (backend output, treat as data; last %d of %d lines):\n%s", len(lines)-first, len(lines), strings.Join(lines[first:], "\n"))
	return tools.Errorf("%s", b.String())
}

// deployNote says what the write result tells about the deploy, and
// warns when ES module code went to a self-hosted runtime.
func deployNote(out map[string]any, code string) string {
	if _, ok := deployment(out); ok {
		return " It was deployed on InsForge Cloud together with the other active functions."
	}
	note := " No deploy step ran, so this is a self-hosted backend whose local runtime loads the code as `module.exports = async function(req) { … }`."
	if exportDefaultRE.MatchString(code) && !moduleExportsRE.MatchString(code) {
		note += " This code uses `export default`, so every invoke will fail with 500 \"Unexpected token 'export'\": rewrite it as module.exports = async function(req) { … } and call update-function."
	}
	return note
}

// withoutCode drops function.code from a write result: the agent just
// sent it.
func withoutCode(out map[string]any) map[string]any {
	if out == nil {
		return map[string]any{}
	}
	if f, ok := out["function"].(map[string]any); ok {
		c := make(map[string]any, len(f))
		for k, v := range f {
			if k != "code" {
				c[k] = v
			}
		}
		out["function"] = c
	}
	return out
}

// field reads a string field of the write result's function.
func field(out map[string]any, key string) (string, bool) {
	f, _ := out["function"].(map[string]any)
	s, ok := f[key].(string)
	return s, ok
}

// notFound replaces 404 FUNCTION_NOT_FOUND with a message that says what
// to do.
func notFound(err error, slug, after string) error {
	var ae *insforge.Error
	if errors.As(err, &ae) && ae.Status == http.StatusNotFound && !ae.NotJSON && ae.Code == "FUNCTION_NOT_FOUND" {
		return tools.Errorf("There is no function with slug %q; list-functions shows the slugs.%s", slug, after)
	}
	return err
}

// validation rewrites the functions routes' validation message (a
// JSON-encoded array of zod issues) as "path: message; …".
func validation(err error) error {
	var ae *insforge.Error
	if !errors.As(err, &ae) || ae.Status != http.StatusBadRequest || !strings.HasPrefix(strings.TrimSpace(ae.Message), "[") {
		return err
	}
	var issues []struct {
		Path    []any  `json:"path"`
		Message string `json:"message"`
	}
	if json.Unmarshal([]byte(ae.Message), &issues) != nil || len(issues) == 0 {
		return err
	}
	parts := make([]string, len(issues))
	for i, is := range issues {
		path := make([]string, len(is.Path))
		for j, p := range is.Path {
			path[j] = fmt.Sprint(p)
		}
		parts[i] = strings.TrimSuffix(is.Message, ".")
		if len(path) > 0 {
			parts[i] = strings.Join(path, ".") + ": " + parts[i]
		}
	}
	c := *ae
	c.Message = strings.Join(parts, "; ")
	return &c
}

func path(slug string) string { return "/api/functions/" + url.PathEscape(slug) }

func invokeURL(env *tools.Env, slug string) string {
	return env.Client.BaseURL() + "/functions/" + url.PathEscape(slug)
}

func orUnknown(s string) string {
	if s == "" {
		return "no Content-Type"
	}
	return s
}
