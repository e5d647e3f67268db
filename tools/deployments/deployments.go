// Package deployments declares the frontend hosting tools (routes under
// /api/deployments). create-deployment takes a local folder to a live URL:
// the folder walk is in walk.go, the upload in upload.go and the flow in
// create.go. The other tools inspect and control deployments
// (/api/deployments/{id}/start, /sync, /cancel), the hosting summary
// (/api/deployments/metadata), the site's environment variables
// (/api/deployments/env-vars), custom domains (/api/deployments/domains)
// and the project's insforge.site subdomain (/api/deployments/slug).
package deployments

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/invopop/jsonschema"

	"github.com/insforge-mcp/insforge-mcp/insforge"
	"github.com/insforge-mcp/insforge-mcp/tools"
)

// ---- inputs ----

// NullableString is a build setting: a string, or null to clear it.
// It remembers whether it was given at all, so that null reaches the
// backend while an absent field is left out.
type NullableString struct {
	Set   bool
	Value *string
}

// UnmarshalJSON accepts a string or null.
func (n *NullableString) UnmarshalJSON(b []byte) error {
	n.Set = true
	if string(b) == "null" {
		n.Value = nil
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return errors.New("each projectSettings field must be a string or null")
	}
	n.Value = &s
	return nil
}

// JSONSchema declares a plain string: a type list such as
// ["string","null"] is refused by single-type schema dialects (Gemini's).
// null is still accepted, and the parameter's text says what it does.
func (NullableString) JSONSchema() *jsonschema.Schema {
	return &jsonschema.Schema{Type: "string"}
}

// ProjectSettings are the build settings of a deployment.
type ProjectSettings struct {
	BuildCommand    NullableString `json:"buildCommand"`
	OutputDirectory NullableString `json:"outputDirectory"`
	InstallCommand  NullableString `json:"installCommand"`
	DevCommand      NullableString `json:"devCommand"`
	RootDirectory   NullableString `json:"rootDirectory"`
}

var settingNames = []string{"buildCommand", "outputDirectory", "installCommand", "devCommand", "rootDirectory"}

// UnmarshalJSON refuses unknown settings (the backend ignores them
// silently, which hides typos such as outputDir).
func (p *ProjectSettings) UnmarshalJSON(b []byte) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return errors.New("projectSettings must be an object with any of " + strings.Join(settingNames, ", "))
	}
	var unknown []string
	for k := range raw {
		if !slices.Contains(settingNames, k) {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return fmt.Errorf("projectSettings has no setting %s; the settings are %s", tools.QuoteList(unknown), strings.Join(settingNames, ", "))
	}
	type plain ProjectSettings
	return json.Unmarshal(b, (*plain)(p))
}

// body returns the settings that were given, nulls included.
func (p *ProjectSettings) body() map[string]any {
	if p == nil {
		return nil
	}
	out := map[string]any{}
	for name, v := range map[string]NullableString{
		"buildCommand": p.BuildCommand, "outputDirectory": p.OutputDirectory, "installCommand": p.InstallCommand,
		"devCommand": p.DevCommand, "rootDirectory": p.RootDirectory,
	} {
		if !v.Set {
			continue
		}
		if v.Value == nil {
			out[name] = nil
		} else {
			out[name] = *v.Value
		}
	}
	return out
}

// EnvVar is one environment variable of the hosted site.
type EnvVar struct {
	Key   string `json:"key" jsonschema:"required" jsonschema_description:"Letters, digits, _"`
	Value string `json:"value" jsonschema:"required" jsonschema_description:"Never the admin key"`
}

// UnmarshalJSON requires both fields (an item without a value would set
// the variable to an empty string).
func (v *EnvVar) UnmarshalJSON(b []byte) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return errors.New("each envVars item must be an object {\"key\": …, \"value\": …}")
	}
	for _, k := range []string{"key", "value"} {
		if f, ok := raw[k]; !ok || string(f) == "null" {
			return fmt.Errorf("each envVars item needs a %s (string)", k)
		}
	}
	type plain EnvVar
	if err := json.Unmarshal(b, (*plain)(v)); err != nil {
		return errors.New("envVars items hold a string key and a string value")
	}
	return nil
}

// StartOptions are the build options shared by create-deployment and
// start-deployment (official parameters).
type StartOptions struct {
	ProjectSettings *ProjectSettings  `json:"projectSettings,omitempty" jsonschema_description:"Omit to auto-detect; a field set to null is cleared."`
	EnvVars         []EnvVar          `json:"envVars,omitempty" jsonschema_description:"Build variables, saved to the site."`
	Meta            map[string]string `json:"meta,omitempty" jsonschema_description:"Labels, e.g. commit."`
}

// CreateInput are the arguments of create-deployment.
type CreateInput struct {
	SourceDirectory string `json:"sourceDirectory" jsonschema:"required,minLength=1" jsonschema_description:"App root, on the server's machine."`
	StartOptions
	Wait               *bool `json:"wait,omitempty" jsonschema:"default=true" jsonschema_description:"false: return once the build starts."`
	WaitTimeoutSeconds int   `json:"waitTimeoutSeconds,omitempty" jsonschema:"minimum=10,maximum=3600,default=600" jsonschema_description:"The build goes on after it."`
}

// StartInput are the arguments of start-deployment.
type StartInput struct {
	DeploymentID string `json:"deploymentId" jsonschema:"required,minLength=1" jsonschema_description:"Uuid of a WAITING or UPLOADING deployment."`
	StartOptions
}

// IDInput names one deployment.
type IDInput struct {
	DeploymentID string `json:"deploymentId" jsonschema:"required,minLength=1" jsonschema_description:"Uuid, from list-deployments."`
}

// ListInput are the arguments of list-deployments.
type ListInput struct {
	Limit  int `json:"limit,omitempty" jsonschema:"minimum=1,maximum=100,default=50" jsonschema_description:"Page size."`
	Offset int `json:"offset,omitempty" jsonschema:"minimum=0,default=0" jsonschema_description:"How many to skip."`
}

// EnvVarRefInput names one environment variable by id or key.
type EnvVarRefInput struct {
	ID  string `json:"id,omitempty" jsonschema_description:"From list-deployment-env-vars."`
	Key string `json:"key,omitempty" jsonschema_description:"e.g. VITE_INSFORGE_URL"`
}

// SetEnvVarsInput are the arguments of set-deployment-env-vars.
type SetEnvVarsInput struct {
	EnvVars []EnvVar `json:"envVars" jsonschema:"required,minItems=1" jsonschema_description:"Keys must be unique."`
}

// CustomDomainInput names one custom domain.
type CustomDomainInput struct {
	Domain string `json:"domain" jsonschema:"required,minLength=1" jsonschema_description:"Bare host, e.g. www.example.com."`
}

// ProjectSlugInput are the arguments of set-project-slug.
type ProjectSlugInput struct {
	Slug  *string `json:"slug,omitempty" jsonschema_description:"3-63 of a-z, 0-9, inner hyphens; my-app serves https://my-app.insforge.site."`
	Reset bool    `json:"reset,omitempty" jsonschema_description:"true removes the slug (omit slug)."`
}

// ---- validation ----

var (
	uuidRe   = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	envKeyRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	domainRe = regexp.MustCompile(`(?i)^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,}$`)
	slugRe   = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?$`)
)

func checkID(id string) (string, error) {
	id = strings.TrimSpace(id)
	if !uuidRe.MatchString(id) {
		return "", tools.Errorf("%q is not a deployment id: ids are uuids such as 3f2b6c1e-8a4d-4e2b-9c1f-0a1b2c3d4e5f. list-deployments shows them.", id)
	}
	return strings.ToLower(id), nil
}

func checkEnvVars(vars []EnvVar) ([]EnvVar, error) {
	seen := map[string]bool{}
	out := make([]EnvVar, len(vars))
	for i, v := range vars {
		key := strings.TrimSpace(v.Key)
		switch {
		case key == "":
			return nil, tools.Errorf("envVars[%d] has an empty key; every variable needs a name", i)
		case !envKeyRe.MatchString(key):
			return nil, tools.Errorf("envVars[%d]: %q is not a valid variable name; use letters, digits and underscores, not starting with a digit (e.g. VITE_INSFORGE_URL)", i, key)
		case seen[key]:
			return nil, tools.Errorf("envVars lists %s twice; give each key once", key)
		}
		seen[key] = true
		out[i] = EnvVar{Key: key, Value: v.Value}
	}
	return out, nil
}

// body builds the start request, after checking it.
func (o StartOptions) body() (map[string]any, error) {
	body := map[string]any{}
	if ps := o.ProjectSettings.body(); len(ps) > 0 {
		body["projectSettings"] = ps
	}
	if len(o.EnvVars) > 0 {
		vars, err := checkEnvVars(o.EnvVars)
		if err != nil {
			return nil, err
		}
		body["envVars"] = vars
	}
	if len(o.Meta) > 0 {
		for k := range o.Meta {
			if strings.TrimSpace(k) == "" {
				return nil, tools.Errorf("meta has an empty key; every label needs a name")
			}
		}
		body["meta"] = o.Meta
	}
	return body, nil
}

func checkDomain(domain string) (string, error) {
	d := strings.ToLower(strings.TrimSpace(domain))
	if strings.Contains(d, "://") || strings.ContainsAny(d, "/:") {
		return "", tools.Errorf("%q is not a bare domain: give only the host name, e.g. www.example.com (no https://, port or path)", domain)
	}
	d = strings.TrimSuffix(d, ".")
	if !domainRe.MatchString(d) {
		return "", tools.Errorf("%q is not a valid domain name; give a name such as www.example.com or example.com", domain)
	}
	if d == "insforge.site" || strings.HasSuffix(d, ".insforge.site") {
		return "", tools.Errorf("%s is reserved: names under insforge.site belong to InsForge. To change the project's insforge.site subdomain use set-project-slug; add-custom-domain is for domains the user owns", d)
	}
	return d, nil
}

// ---- backend answers ----

// record is what the tools read from a deployment record; the whole
// record is returned to the agent as data.
type record struct {
	ID       string
	Status   string
	URL      string
	Metadata map[string]any
}

// recordOf reads a deployment record decoded as generic JSON.
func recordOf(raw any) record {
	m, _ := raw.(map[string]any)
	var rec record
	rec.ID, _ = m["id"].(string)
	rec.Status, _ = m["status"].(string)
	rec.URL, _ = m["url"].(string)
	rec.Metadata, _ = m["metadata"].(map[string]any)
	return rec
}

func terminal(status string) bool {
	return status == "READY" || status == "ERROR" || status == "CANCELED"
}

// hostingErr turns the hosting module's typical failures into next steps.
func hostingErr(err error, id string) error {
	var ae *insforge.Error
	if !errors.As(err, &ae) || ae.NotJSON {
		return err
	}
	msg := strings.TrimSuffix(ae.Message, ".")
	switch {
	case ae.Status == http.StatusServiceUnavailable && strings.Contains(strings.ToLower(msg), "not configured"):
		return tools.QuotedErrorf(msg, "Hosting is not available on this backend: %s %s answered 503 (its message is below). InsForge Cloud always has it; a self-hosted backend needs its operator to set VERCEL_TOKEN, VERCEL_TEAM_ID and VERCEL_PROJECT_ID. Tell the user; retrying will not help.", ae.Method, ae.Path)
	case ae.Status == http.StatusNotFound && ae.Code == "DEPLOYMENT_NOT_FOUND" && id != "":
		return tools.Errorf("There is no deployment %s in this project (404 DEPLOYMENT_NOT_FOUND). list-deployments shows the ids.", id)
	}
	return err
}

// buildError extracts a failed build's reason from the record's
// metadata (sync stores {code, message}, webhooks {errorCode, errorMessage}).
func buildError(meta map[string]any) string {
	var parts []string
	add := func(v any) {
		if s, ok := v.(string); ok && strings.TrimSpace(s) != "" {
			parts = append(parts, strings.TrimSpace(s))
		}
	}
	switch e := meta["error"].(type) {
	case string:
		add(e)
	case map[string]any:
		add(e["code"])
		add(e["errorCode"])
		add(e["message"])
		add(e["errorMessage"])
	}
	add(meta["errorMessage"])
	s := strings.Join(parts, ": ")
	if len(s) > 500 {
		s = s[:500] + "…"
	}
	return s
}

// safeURL returns v when it is a string holding a plain http(s) URL, for
// our own text; otherwise "".
func safeURL(v any) string {
	u, _ := v.(string)
	p, err := url.Parse(strings.TrimSpace(u))
	if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" || strings.ContainsAny(u, " \n\t\"<>") {
		return ""
	}
	return p.String()
}

func statusWord(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

// describe is our sentence about a record.
func describe(rec record) string {
	switch rec.Status {
	case "READY":
		if u := safeURL(rec.URL); u != "" {
			return fmt.Sprintf("Deployment %s is READY at %s.", rec.ID, u)
		}
		return fmt.Sprintf("Deployment %s is READY.", rec.ID)
	case "ERROR":
		return fmt.Sprintf("Deployment %s failed (ERROR); the reason is in metadata.error. Check projectSettings and envVars, run the build locally, then deploy again.", rec.ID)
	case "CANCELED":
		return fmt.Sprintf("Deployment %s was canceled.", rec.ID)
	case "WAITING", "UPLOADING":
		return fmt.Sprintf("Deployment %s is %s: its files are not all uploaded or the build has not started.", rec.ID, rec.Status)
	}
	return fmt.Sprintf("Deployment %s is %s; check again in a little while.", rec.ID, statusWord(rec.Status))
}

// ---- the tools ----

// Create is create-deployment.
func Create() tools.Tool {
	return tools.Define(tools.Spec{
		Name:        "create-deployment",
		Title:       "Deploy a local folder",
		Hints:       tools.Overwrite,
		Description: "Deploy a local frontend folder (without node_modules, .git, .env, build output, .gitignore matches): uploads, builds remotely, waits for the URL or the build error. Build locally first.",
	}, createDeployment)
}

// Start is start-deployment.
func Start() tools.Tool {
	return tools.Define(tools.Spec{
		Name:        "start-deployment",
		Title:       "Start an uploaded deployment's build",
		Hints:       tools.Overwrite,
		Description: "Build a deployment whose files are uploaded; create-deployment needs no call to it. Returns at once: poll get-deployment.",
	}, startDeployment)
}

// List is list-deployments.
func List() tools.Tool {
	return tools.Define(tools.Spec{
		Name:        "list-deployments",
		Title:       "List deployments",
		Hints:       tools.Read,
		Description: "List deployments, newest first, with status and url. The live site is the newest READY one.",
	}, listDeployments)
}

// Get is get-deployment.
func Get() tools.Tool {
	return tools.Define(tools.Spec{
		Name:        "get-deployment",
		Title:       "Get a deployment",
		Hints:       tools.Read,
		Description: "Read a deployment: status, url, and the build error in metadata. If stuck QUEUED or BUILDING, use sync-deployment.",
	}, getDeployment)
}

// Sync is sync-deployment.
func Sync() tools.Tool {
	return tools.Define(tools.Spec{
		Name:        "sync-deployment",
		Title:       "Refresh a deployment's status",
		Hints:       tools.Read,
		Description: "Refresh a started (not WAITING) deployment's status from the host when get-deployment seems stuck.",
	}, syncDeployment)
}

// Cancel is cancel-deployment.
func Cancel() tools.Tool {
	return tools.Define(tools.Spec{
		Name:        "cancel-deployment",
		Title:       "Cancel a deployment",
		Hints:       tools.Change,
		Description: "Stop an uploading, queued or building deployment for good (CANCELED); the previous READY one keeps serving.",
	}, cancelDeployment)
}

// GetMetadata is get-deployment-metadata.
func GetMetadata() tools.Tool {
	return tools.Define(tools.Spec{
		Name:        "get-deployment-metadata",
		Title:       "Get the site's hosting summary",
		Hints:       tools.Read,
		Description: "Where the site is live: the current (newest READY) deployment id, its default URL and, with a slug, the custom URL.",
	}, getMetadata)
}

// ListEnvVars is list-deployment-env-vars.
func ListEnvVars() tools.Tool {
	return tools.Define(tools.Spec{
		Name:        "list-deployment-env-vars",
		Title:       "List site env vars",
		Hints:       tools.Read,
		Description: "List the hosted site's environment variables (id, key, type), without values. Edge functions use secrets instead.",
	}, listEnvVars)
}

// GetEnvVar is get-deployment-env-var.
func GetEnvVar() tools.Tool {
	return tools.Define(tools.Spec{
		Name:        "get-deployment-env-var",
		Title:       "Read a site env var's value",
		Hints:       tools.Read,
		Description: "Read a site environment variable, by id or key, with its value; do not echo secret values.",
	}, getEnvVar)
}

// SetEnvVars is set-deployment-env-vars.
func SetEnvVars() tools.Tool {
	return tools.Define(tools.Spec{
		Name:        "set-deployment-env-vars",
		Title:       "Set site env vars",
		Hints:       tools.Change,
		Description: "Create or overwrite the hosted site's environment variables; they apply from the next build, so deploy again.",
	}, setEnvVars)
}

// DeleteEnvVar is delete-deployment-env-var.
func DeleteEnvVar() tools.Tool {
	return tools.Define(tools.Spec{
		Name:        "delete-deployment-env-var",
		Title:       "Delete a site env var",
		Hints:       tools.Remove,
		Description: "Delete one environment variable of the hosted site, by id or key; the site keeps it until the next build.",
	}, deleteEnvVar)
}

// ListCustomDomains is list-custom-domains.
func ListCustomDomains() tools.Tool {
	return tools.Define(tools.Spec{
		Name:        "list-custom-domains",
		Title:       "List custom domains",
		Hints:       tools.Read,
		Description: "List the site's custom domains with verified, misconfigured and the DNS records still needed.",
	}, listDomains)
}

// AddCustomDomain is add-custom-domain.
func AddCustomDomain() tools.Tool {
	return tools.Define(tools.Spec{
		Name:        "add-custom-domain",
		Title:       "Add a custom domain",
		Hints:       tools.Create,
		Description: "Attach a domain the user owns to the site; the user then creates the DNS records returned, and you call verify-custom-domain.",
	}, addDomain)
}

// VerifyCustomDomain is verify-custom-domain.
func VerifyCustomDomain() tools.Tool {
	return tools.Define(tools.Spec{
		Name:        "verify-custom-domain",
		Title:       "Check a custom domain's DNS",
		Hints:       tools.Hints{ReadOnly: tools.No, Destructive: tools.No, Idempotent: tools.Yes, OpenWorld: tools.Yes},
		Description: "Recheck a custom domain's DNS until verified is true and misconfigured false. DNS takes minutes to hours: space out checks.",
	}, verifyDomain)
}

// RemoveCustomDomain is remove-custom-domain.
func RemoveCustomDomain() tools.Tool {
	return tools.Define(tools.Spec{
		Name:        "remove-custom-domain",
		Title:       "Remove a custom domain",
		Hints:       tools.Remove,
		Description: "Detach a custom domain from the site; DNS records are untouched and the default domain keeps working.",
	}, removeDomain)
}

// SetProjectSlug is set-project-slug.
func SetProjectSlug() tools.Tool {
	return tools.Define(tools.Spec{
		Name:        "set-project-slug",
		Title:       "Set the insforge.site subdomain",
		Hints:       tools.Change,
		Description: "Set or reset the site's subdomain on insforge.site. InsForge Cloud only (self-hosted answers 503); a slug in use answers 409.",
	}, setSlug)
}

// ---- deployments ----

func startDeployment(ctx context.Context, env *tools.Env, in StartInput) (*tools.Result, error) {
	id, err := checkID(in.DeploymentID)
	if err != nil {
		return nil, err
	}
	body, err := in.StartOptions.body()
	if err != nil {
		return nil, err
	}
	raw, _, err := insforge.Call[any](ctx, env.Client, insforge.Request{Method: http.MethodPost, Path: "/api/deployments/" + id + "/start", Body: body})
	if err != nil {
		var ae *insforge.Error
		if errors.As(err, &ae) && ae.Status == http.StatusBadRequest && strings.Contains(ae.Message, "not ready to start") {
			return nil, tools.QuotedErrorf(ae.Message, "Deployment %s cannot be started (the backend's message is below). Only a deployment in WAITING or UPLOADING can start; to rebuild, run create-deployment again.", id)
		}
		return nil, hostingErr(err, id)
	}
	return tools.Found(fmt.Sprintf("Started the build of deployment %s (status %s). Poll get-deployment until it is READY or ERROR.", id, statusWord(recordOf(raw).Status)), raw), nil
}

func listDeployments(ctx context.Context, env *tools.Env, in ListInput) (*tools.Result, error) {
	limit, err := tools.CheckPage(in.Limit, 50, 100, in.Offset, "; page with offset")
	if err != nil {
		return nil, err
	}
	q := url.Values{"limit": {strconv.Itoa(limit)}, "offset": {strconv.Itoa(in.Offset)}}
	items, resp, err := insforge.Call[[]any](ctx, env.Client, insforge.Request{Path: "/api/deployments", Query: q})
	if err != nil {
		return nil, hostingErr(err, "")
	}
	total, known := resp.Total()
	if !known {
		total = in.Offset + len(items)
	}
	data := map[string]any{"deployments": items, "total": total, "limit": limit, "offset": in.Offset}
	switch {
	case len(items) == 0 && in.Offset == 0:
		return tools.Found("No deployments yet. create-deployment deploys a local folder.", data), nil
	case len(items) == 0:
		return tools.Found(fmt.Sprintf("No deployments at offset %d; there are %d in all.", in.Offset, total), data), nil
	}
	summary := fmt.Sprintf("Deployments %d-%d of %d, newest first.", in.Offset+1, in.Offset+len(items), total)
	r := tools.Found(summary, data)
	r.Page = tools.OffsetPage("deployments", in.Offset, len(items), total, 0, "Call again with offset %d for more.", "")
	return r, nil
}

func getDeployment(ctx context.Context, env *tools.Env, in IDInput) (*tools.Result, error) {
	id, err := checkID(in.DeploymentID)
	if err != nil {
		return nil, err
	}
	raw, _, err := insforge.Call[any](ctx, env.Client, insforge.Request{Path: "/api/deployments/" + id})
	if err != nil {
		return nil, hostingErr(err, id)
	}
	return tools.Found(describe(recordOf(raw)), raw), nil
}

func syncDeployment(ctx context.Context, env *tools.Env, in IDInput) (*tools.Result, error) {
	id, err := checkID(in.DeploymentID)
	if err != nil {
		return nil, err
	}
	raw, _, err := insforge.Call[any](ctx, env.Client, insforge.Request{Method: http.MethodPost, Path: "/api/deployments/" + id + "/sync"})
	if err != nil {
		var ae *insforge.Error
		if errors.As(err, &ae) && ae.Status == http.StatusBadRequest && strings.Contains(ae.Message, "no provider deployment ID") {
			return nil, tools.Errorf("Deployment %s has not been started yet, so there is nothing to sync (400). get-deployment shows its status; start it with start-deployment or deploy again with create-deployment.", id)
		}
		return nil, hostingErr(err, id)
	}
	return tools.Found("Refreshed from the hosting provider. "+describe(recordOf(raw)), raw), nil
}

func cancelDeployment(ctx context.Context, env *tools.Env, in IDInput) (*tools.Result, error) {
	id, err := checkID(in.DeploymentID)
	if err != nil {
		return nil, err
	}
	raw, _, err := insforge.Call[any](ctx, env.Client, insforge.Request{Method: http.MethodPost, Path: "/api/deployments/" + id + "/cancel"})
	if err != nil {
		return nil, hostingErr(err, id)
	}
	return tools.Found(fmt.Sprintf("Deployment %s is canceled.", id), raw), nil
}

func getMetadata(ctx context.Context, env *tools.Env, _ tools.NoInput) (*tools.Result, error) {
	raw, _, err := insforge.Call[any](ctx, env.Client, insforge.Request{Path: "/api/deployments/metadata"})
	if err != nil {
		return nil, hostingErr(err, "")
	}
	if arr, ok := raw.([]any); ok && len(arr) == 0 {
		return tools.Say("The backend reports no hosting metadata (an empty list): no site is deployed, or this self-hosted backend has no hosting configured. create-deployment tells which."), nil
	}
	meta, _ := raw.(map[string]any)
	summary := "No deployment is live yet (none is READY)."
	if _, live := meta["currentDeploymentId"].(string); live {
		summary = "The site is live"
		if u := safeURL(meta["defaultDomainUrl"]); u != "" {
			summary += " at " + u
		}
		if u := safeURL(meta["customDomainUrl"]); u != "" {
			summary += " and at " + u
		}
		summary += "."
	}
	return tools.Found(summary, raw), nil
}

// ---- environment variables ----

func listEnvVars(ctx context.Context, env *tools.Env, _ tools.NoInput) (*tools.Result, error) {
	vars, raw, err := envVarList(ctx, env)
	if err != nil {
		return nil, err
	}
	if len(vars) == 0 {
		return tools.Found("The site has no environment variables.", raw), nil
	}
	return tools.Found(fmt.Sprintf("%d environment variables (values are not listed).", len(vars)), raw), nil
}

func getEnvVar(ctx context.Context, env *tools.Env, in EnvVarRefInput) (*tools.Result, error) {
	id, key, err := resolveEnvVar(ctx, env, in)
	if err != nil {
		return nil, err
	}
	raw, _, err := insforge.Call[any](ctx, env.Client, insforge.Request{Path: "/api/deployments/env-vars/" + url.PathEscape(id)})
	if err != nil {
		return nil, envErr(err, id, key)
	}
	return tools.Found("The variable with its value (do not repeat secret values to the user).", raw), nil
}

func setEnvVars(ctx context.Context, env *tools.Env, in SetEnvVarsInput) (*tools.Result, error) {
	if len(in.EnvVars) == 0 {
		return nil, tools.Errorf("envVars is empty; give at least one {key, value}")
	}
	vars, err := checkEnvVars(in.EnvVars)
	if err != nil {
		return nil, err
	}
	out, _, err := insforge.Call[struct {
		Count int `json:"count"`
	}](ctx, env.Client, insforge.Request{Method: http.MethodPost, Path: "/api/deployments/env-vars", Body: map[string]any{"envVars": vars}})
	if err != nil {
		return nil, hostingErr(err, "")
	}
	keys := make([]string, len(vars))
	for i, v := range vars {
		keys[i] = v.Key
	}
	return tools.Found(fmt.Sprintf("Saved %d environment variables (%s). They apply from the next build: run create-deployment again to use them.", len(vars), strings.Join(keys, ", ")),
		map[string]any{"saved": keys, "count": out.Count}), nil
}

func deleteEnvVar(ctx context.Context, env *tools.Env, in EnvVarRefInput) (*tools.Result, error) {
	id, key, err := resolveEnvVar(ctx, env, in)
	if err != nil {
		return nil, err
	}
	raw, _, err := insforge.Call[any](ctx, env.Client, insforge.Request{Method: http.MethodDelete, Path: "/api/deployments/env-vars/" + url.PathEscape(id)})
	if err != nil {
		return nil, envErr(err, id, key)
	}
	what := "Environment variable " + id
	if key != "" {
		what = "Environment variable " + key
	}
	return tools.Found(what+" is deleted; the site loses it at its next build.", raw), nil
}

// envVarInfo is what the tools read of one listed variable.
type envVarInfo struct {
	ID  string
	Key string
}

// envVarList reads the variable list (ids, keys, types): the answer as
// data, and the ids and keys in it.
func envVarList(ctx context.Context, env *tools.Env) ([]envVarInfo, any, error) {
	raw, _, err := insforge.Call[any](ctx, env.Client, insforge.Request{Path: "/api/deployments/env-vars"})
	if err != nil {
		return nil, nil, hostingErr(err, "")
	}
	list, _ := raw.(map[string]any)
	items, _ := list["envVars"].([]any)
	vars := make([]envVarInfo, 0, len(items))
	for _, item := range items {
		v, _ := item.(map[string]any)
		id, _ := v["id"].(string)
		key, _ := v["key"].(string)
		vars = append(vars, envVarInfo{ID: id, Key: key})
	}
	return vars, raw, nil
}

// resolveEnvVar returns the id of the variable named by id or key.
func resolveEnvVar(ctx context.Context, env *tools.Env, in EnvVarRefInput) (id, key string, err error) {
	id, key = strings.TrimSpace(in.ID), strings.TrimSpace(in.Key)
	switch {
	case id != "" && key != "":
		return "", "", tools.Errorf("give either id or key, not both")
	case id != "":
		return id, "", nil
	case key == "":
		return "", "", tools.Errorf("give the variable's key (e.g. VITE_INSFORGE_URL) or its id from list-deployment-env-vars")
	}
	vars, _, err := envVarList(ctx, env)
	if err != nil {
		return "", "", err
	}
	var keys []string
	for _, v := range vars {
		if v.Key == key {
			return v.ID, key, nil
		}
		keys = append(keys, v.Key)
	}
	if len(keys) == 0 {
		return "", "", tools.Errorf("the site has no environment variable %s (it has none). set-deployment-env-vars creates variables.", key)
	}
	return "", "", tools.Errorf("the site has no environment variable %s; it has %s (names are case-sensitive)", key, first(keys, 20))
}

func envErr(err error, id, key string) error {
	var ae *insforge.Error
	if errors.As(err, &ae) && !ae.NotJSON && ae.Status == http.StatusNotFound && strings.Contains(ae.Code, "NOT_FOUND") {
		name := id
		if key != "" {
			name = key
		}
		return tools.Errorf("There is no environment variable %s (404). list-deployment-env-vars shows the ids and keys.", name)
	}
	return hostingErr(err, "")
}

// ---- custom domains and slug ----

func listDomains(ctx context.Context, env *tools.Env, _ tools.NoInput) (*tools.Result, error) {
	raw, _, err := insforge.Call[any](ctx, env.Client, insforge.Request{Path: "/api/deployments/domains"})
	if err != nil {
		return nil, hostingErr(err, "")
	}
	list, _ := raw.(map[string]any)
	domains, _ := list["domains"].([]any)
	if len(domains) == 0 {
		return tools.Found("No custom domains. add-custom-domain attaches one the user owns.", raw), nil
	}
	return tools.Found(fmt.Sprintf("%d custom domains.", len(domains)), raw), nil
}

func addDomain(ctx context.Context, env *tools.Env, in CustomDomainInput) (*tools.Result, error) {
	domain, err := checkDomain(in.Domain)
	if err != nil {
		return nil, err
	}
	return domainCall(ctx, env, domain, "Added", insforge.Request{Method: http.MethodPost, Path: "/api/deployments/domains", Body: map[string]any{"domain": domain}})
}

func verifyDomain(ctx context.Context, env *tools.Env, in CustomDomainInput) (*tools.Result, error) {
	domain, err := checkDomain(in.Domain)
	if err != nil {
		return nil, err
	}
	return domainCall(ctx, env, domain, "Checked", insforge.Request{Method: http.MethodPost, Path: "/api/deployments/domains/" + url.PathEscape(domain) + "/verify"})
}

func removeDomain(ctx context.Context, env *tools.Env, in CustomDomainInput) (*tools.Result, error) {
	domain, err := checkDomain(in.Domain)
	if err != nil {
		return nil, err
	}
	raw, _, err := insforge.Call[any](ctx, env.Client, insforge.Request{Method: http.MethodDelete, Path: "/api/deployments/domains/" + url.PathEscape(domain)})
	if err != nil {
		return nil, domainErr(err, domain)
	}
	return tools.Found(domain+" is removed from the site. The user can delete its DNS records.", raw), nil
}

// domainCall sends a custom-domain request and summarises the domain
// object it answers with.
func domainCall(ctx context.Context, env *tools.Env, domain, verb string, req insforge.Request) (*tools.Result, error) {
	raw, _, err := insforge.Call[any](ctx, env.Client, req)
	if err != nil {
		return nil, domainErr(err, domain)
	}
	d, _ := raw.(map[string]any)
	verified, _ := d["verified"].(bool)
	misconfigured, _ := d["misconfigured"].(bool)
	return tools.Found(domainSummary(verb+" "+domain+".", domain, verified, misconfigured), raw), nil
}

func domainSummary(prefix, domain string, verified, misconfigured bool) string {
	switch {
	case verified && !misconfigured:
		return prefix + " It is verified and correctly configured: the site answers on https://" + domain + "."
	case verified:
		return prefix + " It is verified but its DNS is not pointing at the site yet: create the cnameTarget (subdomain) or aRecordValue (apex) record, then call verify-custom-domain again."
	}
	return prefix + " It is not verified yet: the user must create the DNS records listed below (verification, and cnameTarget for a subdomain or aRecordValue for an apex domain) at their DNS provider, then call verify-custom-domain."
}

func domainErr(err error, domain string) error {
	var ae *insforge.Error
	if errors.As(err, &ae) && !ae.NotJSON {
		switch {
		case ae.Status == http.StatusConflict:
			return tools.QuotedErrorf(ae.Message, "%s is already attached (409; the backend's message is below). list-custom-domains shows the project's domains; a domain used by another hosting project must be removed there first.", domain)
		case ae.Status == http.StatusNotFound && ae.Code == "DOMAIN_NOT_FOUND":
			return tools.Errorf("%s is not attached to the site (404). list-custom-domains shows the attached domains.", domain)
		}
	}
	return hostingErr(err, "")
}

func setSlug(ctx context.Context, env *tools.Env, in ProjectSlugInput) (*tools.Result, error) {
	var slug any
	switch {
	case in.Reset && in.Slug != nil:
		return nil, tools.Errorf("give either slug or reset: true, not both")
	case in.Reset:
		slug = nil
	case in.Slug == nil:
		return nil, tools.Errorf("give slug (e.g. my-app) or reset: true to remove the custom slug")
	default:
		s := strings.TrimSpace(*in.Slug)
		if len(s) < 3 || len(s) > 63 || !slugRe.MatchString(s) {
			return nil, tools.Errorf("%q is not a valid slug: use 3-63 lowercase letters, digits and hyphens, not starting or ending with a hyphen (e.g. my-app)", *in.Slug)
		}
		slug = s
	}
	raw, _, err := insforge.Call[any](ctx, env.Client, insforge.Request{Method: http.MethodPut, Path: "/api/deployments/slug", Body: map[string]any{"slug": slug}})
	if err != nil {
		var ae *insforge.Error
		switch {
		case errors.As(err, &ae) && ae.Status == http.StatusServiceUnavailable && strings.Contains(strings.ToLower(ae.Message), "cloud"):
			return nil, tools.QuotedErrorf(ae.Message, "Custom slugs exist only on InsForge Cloud; this backend answered 503 (its message is below). On a self-hosted backend use add-custom-domain with a domain the user owns.")
		case errors.As(err, &ae) && ae.Status == http.StatusConflict:
			return nil, tools.Errorf("The slug %v is taken (409): pick another one.", slug)
		}
		return nil, hostingErr(err, "")
	}
	if slug == nil {
		return tools.Found("The custom slug is removed; the site is served on its default domain.", raw), nil
	}
	return tools.Found(fmt.Sprintf("The project's slug is now %s.", slug), raw), nil
}
