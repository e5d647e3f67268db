package tools

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/invopop/jsonschema"

	"github.com/insforge-mcp/insforge-mcp/insforge"
)

// Deployments toolset: frontend hosting (reference §8). create-deployment
// takes a local folder to a live URL (walk in deploy_walk.go, bytes in
// deploy_upload.go); the other tools inspect and control deployments, the
// site's environment variables, custom domains and the project slug.

// ---- inputs ----

// DeployNullableString is a build setting: a string, or null to clear it.
// It remembers whether it was given at all, so that null reaches the
// backend while an absent field is left out.
type DeployNullableString struct {
	Set   bool
	Value *string
}

// UnmarshalJSON accepts a string or null.
func (n *DeployNullableString) UnmarshalJSON(b []byte) error {
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

// JSONSchema declares the type as the official server does: string or null.
func (DeployNullableString) JSONSchema() *jsonschema.Schema {
	return &jsonschema.Schema{Extras: map[string]any{"type": []string{"string", "null"}}}
}

// DeployProjectSettings are the build settings of a deployment.
type DeployProjectSettings struct {
	BuildCommand    DeployNullableString `json:"buildCommand" jsonschema_description:"Command that builds the app, e.g. npm run build. null resets it to the framework default."`
	OutputDirectory DeployNullableString `json:"outputDirectory" jsonschema_description:"Folder the build writes the site to, relative to the app root: dist (Vite), build (Create React App), .next (Next.js). null resets it."`
	InstallCommand  DeployNullableString `json:"installCommand" jsonschema_description:"Command that installs dependencies, e.g. npm ci or pnpm install. null resets it."`
	DevCommand      DeployNullableString `json:"devCommand" jsonschema_description:"Development server command (not used to build), e.g. npm run dev. null resets it."`
	RootDirectory   DeployNullableString `json:"rootDirectory" jsonschema_description:"Subfolder of the uploaded files that holds the app (its package.json), e.g. web in a monorepo. null means the top of the upload."`
}

var deploySettingNames = []string{"buildCommand", "outputDirectory", "installCommand", "devCommand", "rootDirectory"}

// UnmarshalJSON refuses unknown settings (the backend ignores them
// silently, which hides typos such as outputDir).
func (p *DeployProjectSettings) UnmarshalJSON(b []byte) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return errors.New("projectSettings must be an object with any of " + strings.Join(deploySettingNames, ", "))
	}
	var unknown []string
	for k := range raw {
		if !slices.Contains(deploySettingNames, k) {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return fmt.Errorf("projectSettings has no setting %s; the settings are %s", QuoteList(unknown), strings.Join(deploySettingNames, ", "))
	}
	type plain DeployProjectSettings
	return json.Unmarshal(b, (*plain)(p))
}

// body returns the settings that were given, nulls included.
func (p *DeployProjectSettings) body() map[string]any {
	if p == nil {
		return nil
	}
	out := map[string]any{}
	for name, v := range map[string]DeployNullableString{
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

// DeployEnvVar is one environment variable of the hosted site.
type DeployEnvVar struct {
	Key   string `json:"key" jsonschema:"required" jsonschema_description:"Variable name: letters, digits and underscores, not starting with a digit. Frameworks expose only prefixed names to browser code (VITE_…, NEXT_PUBLIC_…, REACT_APP_…)."`
	Value string `json:"value" jsonschema:"required" jsonschema_description:"Variable value. Public values only for frontend code (project URL, anon key); never the admin API key."`
}

// UnmarshalJSON requires both fields (an item without a value would set
// the variable to an empty string).
func (v *DeployEnvVar) UnmarshalJSON(b []byte) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return errors.New("each envVars item must be an object {\"key\": …, \"value\": …}")
	}
	for _, k := range []string{"key", "value"} {
		if f, ok := raw[k]; !ok || string(f) == "null" {
			return fmt.Errorf("each envVars item needs a %s (string)", k)
		}
	}
	type plain DeployEnvVar
	if err := json.Unmarshal(b, (*plain)(v)); err != nil {
		return errors.New("envVars items hold a string key and a string value")
	}
	return nil
}

// DeployStartOptions are the build options shared by create-deployment and
// start-deployment (official parameters).
type DeployStartOptions struct {
	ProjectSettings *DeployProjectSettings `json:"projectSettings,omitempty" jsonschema_description:"Build settings (each a string, or null to reset): buildCommand, outputDirectory, installCommand, devCommand, rootDirectory. Omit to let the hosting provider detect the framework."`
	EnvVars         []DeployEnvVar         `json:"envVars,omitempty" jsonschema_description:"Environment variables saved to the hosted site (created or overwritten, and kept for later builds) before this build starts, e.g. VITE_INSFORGE_URL and VITE_INSFORGE_ANON_KEY. Keys must be unique."`
	Meta            map[string]string      `json:"meta,omitempty" jsonschema_description:"Free-form string labels stored with the deployment at the hosting provider, e.g. {\"commit\": \"abc123\"}."`
}

// CreateDeploymentInput are the arguments of create-deployment.
type CreateDeploymentInput struct {
	SourceDirectory string `json:"sourceDirectory" jsonschema:"required,minLength=1" jsonschema_description:"Folder holding the app's source (where package.json is), on the machine running this MCP server; use an absolute path. node_modules, .git, build output (dist, build, .next, …), .env files and .gitignore matches are left out."`
	DeployStartOptions
	Wait               *bool `json:"wait,omitempty" jsonschema_description:"Wait until the build ends and return the live URL or the build error (default true). false returns right after the build starts; then poll get-deployment."`
	WaitTimeoutSeconds int   `json:"waitTimeoutSeconds,omitempty" jsonschema:"minimum=10,maximum=3600" jsonschema_description:"Longest time to wait for the build, in seconds (default 600, 10-3600). When it runs out the build continues; check it with get-deployment."`
}

// StartDeploymentInput are the arguments of start-deployment.
type StartDeploymentInput struct {
	DeploymentID string `json:"deploymentId" jsonschema:"required,minLength=1" jsonschema_description:"Id (uuid) of a deployment in status WAITING or UPLOADING whose files are all uploaded."`
	DeployStartOptions
}

// DeploymentIDInput names one deployment.
type DeploymentIDInput struct {
	DeploymentID string `json:"deploymentId" jsonschema:"required,minLength=1" jsonschema_description:"Deployment id (uuid), as returned by create-deployment or list-deployments."`
}

// ListDeploymentsInput are the arguments of list-deployments.
type ListDeploymentsInput struct {
	Limit  int `json:"limit,omitempty" jsonschema:"minimum=1,maximum=100" jsonschema_description:"How many deployments to return, newest first (default 50, at most 100)."`
	Offset int `json:"offset,omitempty" jsonschema:"minimum=0" jsonschema_description:"How many of the newest deployments to skip, for the next page (default 0)."`
}

// DeployEnvVarRefInput names one environment variable by id or key.
type DeployEnvVarRefInput struct {
	ID  string `json:"id,omitempty" jsonschema_description:"Variable id, as listed by list-deployment-env-vars. Give id or key."`
	Key string `json:"key,omitempty" jsonschema_description:"Variable name, e.g. VITE_INSFORGE_URL; looked up with list-deployment-env-vars. Give id or key."`
}

// SetDeployEnvVarsInput are the arguments of set-deployment-env-vars.
type SetDeployEnvVarsInput struct {
	EnvVars []DeployEnvVar `json:"envVars" jsonschema:"required,minItems=1" jsonschema_description:"Variables to create or overwrite (unique keys). They reach the site at its next build."`
}

// CustomDomainInput names one custom domain.
type CustomDomainInput struct {
	Domain string `json:"domain" jsonschema:"required,minLength=1" jsonschema_description:"A domain the user owns, e.g. www.example.com or example.com (no scheme, no path). Names under insforge.site are reserved."`
}

// ProjectSlugInput are the arguments of set-project-slug.
type ProjectSlugInput struct {
	Slug  *string `json:"slug,omitempty" jsonschema_description:"New subdomain: 3-63 lowercase letters, digits and hyphens, not starting or ending with a hyphen. my-app serves the site at https://my-app.insforge.site."`
	Reset bool    `json:"reset,omitempty" jsonschema_description:"true removes the custom slug (back to the default domain); do not give slug then."`
}

// ---- validation ----

var (
	deployUUIDRe   = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	deployEnvKeyRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	deployDomainRe = regexp.MustCompile(`(?i)^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,}$`)
	deploySlugRe   = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?$`)
)

func deployCheckID(id string) (string, error) {
	id = strings.TrimSpace(id)
	if !deployUUIDRe.MatchString(id) {
		return "", Errorf("%q is not a deployment id: ids are uuids such as 3f2b6c1e-8a4d-4e2b-9c1f-0a1b2c3d4e5f. list-deployments shows them.", id)
	}
	return strings.ToLower(id), nil
}

func deployCheckEnvVars(vars []DeployEnvVar) ([]DeployEnvVar, error) {
	seen := map[string]bool{}
	out := make([]DeployEnvVar, len(vars))
	for i, v := range vars {
		key := strings.TrimSpace(v.Key)
		switch {
		case key == "":
			return nil, Errorf("envVars[%d] has an empty key; every variable needs a name", i)
		case !deployEnvKeyRe.MatchString(key):
			return nil, Errorf("envVars[%d]: %q is not a valid variable name; use letters, digits and underscores, not starting with a digit (e.g. VITE_INSFORGE_URL)", i, key)
		case seen[key]:
			return nil, Errorf("envVars lists %s twice; give each key once", key)
		}
		seen[key] = true
		out[i] = DeployEnvVar{Key: key, Value: v.Value}
	}
	return out, nil
}

// body builds the start request, after checking it.
func (o DeployStartOptions) body() (map[string]any, error) {
	body := map[string]any{}
	if ps := o.ProjectSettings.body(); len(ps) > 0 {
		body["projectSettings"] = ps
	}
	if len(o.EnvVars) > 0 {
		vars, err := deployCheckEnvVars(o.EnvVars)
		if err != nil {
			return nil, err
		}
		body["envVars"] = vars
	}
	if len(o.Meta) > 0 {
		for k := range o.Meta {
			if strings.TrimSpace(k) == "" {
				return nil, Errorf("meta has an empty key; every label needs a name")
			}
		}
		body["meta"] = o.Meta
	}
	return body, nil
}

func deployCheckDomain(domain string) (string, error) {
	d := strings.ToLower(strings.TrimSpace(domain))
	if strings.Contains(d, "://") || strings.ContainsAny(d, "/:") {
		return "", Errorf("%q is not a bare domain: give only the host name, e.g. www.example.com (no https://, port or path)", domain)
	}
	d = strings.TrimSuffix(d, ".")
	if !deployDomainRe.MatchString(d) {
		return "", Errorf("%q is not a valid domain name; give a name such as www.example.com or example.com", domain)
	}
	if d == "insforge.site" || strings.HasSuffix(d, ".insforge.site") {
		return "", Errorf("%s is reserved: names under insforge.site belong to InsForge. To change the project's insforge.site subdomain use set-project-slug; add-custom-domain is for domains the user owns", d)
	}
	return d, nil
}

// ---- backend answers ----

// deployRecord is what the tools read from a deployment record; the whole
// record is returned to the agent as data.
type deployRecord struct {
	ID       string         `json:"id"`
	Status   string         `json:"status"`
	URL      *string        `json:"url"`
	Metadata map[string]any `json:"metadata"`
}

func deployTerminal(status string) bool {
	return status == "READY" || status == "ERROR" || status == "CANCELED"
}

// deployCall sends one request and decodes the answer both as a record and
// as raw data.
func deployCall(ctx context.Context, env *Env, method, path string, body any, rec *deployRecord) (any, error) {
	req := insforge.Request{Method: method, Path: path}
	if body != nil {
		req.Body = body
	}
	resp, err := env.Client.Do(ctx, req)
	if err != nil {
		return nil, err
	}
	raw, err := resp.JSON()
	if err != nil {
		return nil, err
	}
	if rec != nil {
		if err := resp.Decode(rec); err != nil {
			return nil, err
		}
	}
	return raw, nil
}

// deployErr turns the hosting module's typical failures into next steps.
func deployErr(err error, id string) error {
	var ae *insforge.Error
	if !errors.As(err, &ae) || ae.NotJSON {
		return err
	}
	msg := strings.TrimSuffix(ae.Message, ".")
	switch {
	case ae.Status == http.StatusServiceUnavailable && strings.Contains(strings.ToLower(msg), "not configured"):
		return Errorf("Hosting is not available on this backend: %s %s answered 503 (%s). InsForge Cloud always has it; a self-hosted backend needs its operator to set VERCEL_TOKEN, VERCEL_TEAM_ID and VERCEL_PROJECT_ID. Tell the user; retrying will not help.", ae.Method, ae.Path, msg)
	case ae.Status == http.StatusNotFound && ae.Code == "DEPLOYMENT_NOT_FOUND" && id != "":
		return Errorf("There is no deployment %s in this project (404 DEPLOYMENT_NOT_FOUND). list-deployments shows the ids.", id)
	}
	return err
}

// deployBuildError extracts a failed build's reason from the record's
// metadata (sync stores {code, message}, webhooks {errorCode, errorMessage}).
func deployBuildError(meta map[string]any) string {
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

// deploySafeURL returns u when it is a plain http(s) URL, for our own text.
func deploySafeURL(u *string) string {
	if u == nil {
		return ""
	}
	p, err := url.Parse(strings.TrimSpace(*u))
	if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" || strings.ContainsAny(*u, " \n\t\"<>") {
		return ""
	}
	return p.String()
}

// deployRangeTotal reads the total of a Content-Range header ("0-9/25",
// "*/0"); ok is false when it is missing or unknown.
func deployRangeTotal(h string) (int, bool) {
	i := strings.LastIndexByte(h, '/')
	if i < 0 {
		return 0, false
	}
	n, err := strconv.Atoi(strings.TrimSpace(h[i+1:]))
	return n, err == nil
}

// ---- the tools ----

func deploymentsTools() []Tool {
	deployHints := Hints{ReadOnly: No, Destructive: Yes, Idempotent: No, OpenWorld: Yes}
	return []Tool{
		Define(Spec{
			Name:    "create-deployment",
			Title:   "Deploy a local folder as the project's website",
			Toolset: Deployments,
			Hints:   deployHints,
			Description: "Deploy a frontend from a folder on the machine running this server: it leaves out node_modules, .git, build output, .env files and .gitignore matches, uploads the rest, starts the remote build and by default waits until the site is READY (returns the URL) or ERROR (returns the build error), reporting progress. " +
				"Pass build-time variables in envVars (the project URL and anon key, never the admin key) and build settings in projectSettings. Run the build locally first: a broken build fails remotely too.",
		}, deployCreate),
		Define(Spec{
			Name:    "start-deployment",
			Title:   "Start the build of an uploaded deployment",
			Toolset: Deployments,
			Hints:   deployHints,
			Description: "Start the build of a deployment whose files are all uploaded (status WAITING or UPLOADING), with optional projectSettings, envVars and meta; it returns the record without waiting, so poll get-deployment until READY or ERROR. " +
				"create-deployment already starts its own build: use this only for a deployment created another way.",
		}, func(ctx context.Context, env *Env, in StartDeploymentInput) (*Result, error) {
			id, err := deployCheckID(in.DeploymentID)
			if err != nil {
				return nil, err
			}
			body, err := in.DeployStartOptions.body()
			if err != nil {
				return nil, err
			}
			var rec deployRecord
			raw, err := deployCall(ctx, env, http.MethodPost, "/api/deployments/"+id+"/start", body, &rec)
			if err != nil {
				var ae *insforge.Error
				if errors.As(err, &ae) && ae.Status == http.StatusBadRequest && strings.Contains(ae.Message, "not ready to start") {
					return nil, Errorf("Deployment %s cannot be started: %s. Only a deployment in WAITING or UPLOADING can start; to rebuild, run create-deployment again.", id, strings.TrimSuffix(ae.Message, "."))
				}
				return nil, deployErr(err, id)
			}
			return Found(fmt.Sprintf("Started the build of deployment %s (status %s). Poll get-deployment until it is READY or ERROR.", id, deployStatusWord(rec.Status)), raw), nil
		}),
		Define(Spec{
			Name:        "list-deployments",
			Title:       "List deployments",
			Toolset:     Deployments,
			Hints:       Read,
			Description: "List the project's deployments, newest first, with status and url (limit default 50, offset for the next page); the result says how many exist. The live site is the newest READY one (get-deployment-metadata names it).",
		}, func(ctx context.Context, env *Env, in ListDeploymentsInput) (*Result, error) {
			limit, err := CheckPage(in.Limit, 50, 100, in.Offset, "; page with offset")
			if err != nil {
				return nil, err
			}
			q := url.Values{"limit": {strconv.Itoa(limit)}, "offset": {strconv.Itoa(in.Offset)}}
			resp, err := env.Client.Do(ctx, insforge.Request{Method: http.MethodGet, Path: "/api/deployments", Query: q})
			if err != nil {
				return nil, deployErr(err, "")
			}
			var items []any
			if err := resp.Decode(&items); err != nil {
				return nil, err
			}
			total, known := deployRangeTotal(resp.Header.Get("Content-Range"))
			if !known {
				total = in.Offset + len(items)
			}
			data := map[string]any{"deployments": items, "total": total, "limit": limit, "offset": in.Offset}
			switch {
			case len(items) == 0 && in.Offset == 0:
				return Found("No deployments yet. create-deployment deploys a local folder.", data), nil
			case len(items) == 0:
				return Found(fmt.Sprintf("No deployments at offset %d; there are %d in all.", in.Offset, total), data), nil
			}
			summary := fmt.Sprintf("Deployments %d-%d of %d, newest first.", in.Offset+1, in.Offset+len(items), total)
			if in.Offset+len(items) < total {
				summary += fmt.Sprintf(" Call again with offset %d for more.", in.Offset+len(items))
			}
			return Found(summary, data), nil
		}),
		Define(Spec{
			Name:        "get-deployment",
			Title:       "Get a deployment",
			Toolset:     Deployments,
			Hints:       Read,
			Description: "Read one deployment by id: status (WAITING, UPLOADING, QUEUED, BUILDING, READY, ERROR, CANCELED), url and metadata, including the build error when it failed. It shows what the backend last recorded; call sync-deployment when a build seems stuck.",
		}, func(ctx context.Context, env *Env, in DeploymentIDInput) (*Result, error) {
			id, err := deployCheckID(in.DeploymentID)
			if err != nil {
				return nil, err
			}
			var rec deployRecord
			raw, err := deployCall(ctx, env, http.MethodGet, "/api/deployments/"+id, nil, &rec)
			if err != nil {
				return nil, deployErr(err, id)
			}
			return Found(deployDescribe(rec), raw), nil
		}),
		Define(Spec{
			Name:        "sync-deployment",
			Title:       "Refresh a deployment's status",
			Toolset:     Deployments,
			Hints:       Read,
			Description: "Fetch a started deployment's current status from the hosting provider (Vercel) and return the refreshed record; use it when get-deployment stays QUEUED or BUILDING for long. A deployment that has not started yet (WAITING) cannot be synced.",
		}, func(ctx context.Context, env *Env, in DeploymentIDInput) (*Result, error) {
			id, err := deployCheckID(in.DeploymentID)
			if err != nil {
				return nil, err
			}
			var rec deployRecord
			raw, err := deployCall(ctx, env, http.MethodPost, "/api/deployments/"+id+"/sync", nil, &rec)
			if err != nil {
				var ae *insforge.Error
				if errors.As(err, &ae) && ae.Status == http.StatusBadRequest && strings.Contains(ae.Message, "no provider deployment ID") {
					return nil, Errorf("Deployment %s has not been started yet, so there is nothing to sync (400). get-deployment shows its status; start it with start-deployment or deploy again with create-deployment.", id)
				}
				return nil, deployErr(err, id)
			}
			return Found("Refreshed from the hosting provider. "+deployDescribe(rec), raw), nil
		}),
		Define(Spec{
			Name:        "cancel-deployment",
			Title:       "Cancel a deployment",
			Toolset:     Deployments,
			Hints:       Hints{ReadOnly: No, Destructive: Yes, Idempotent: Yes, OpenWorld: Yes},
			Description: "Stop a deployment that is uploading, queued or building and mark it CANCELED; the site keeps serving the previous READY deployment. A canceled deployment cannot be resumed: deploy again with create-deployment.",
		}, func(ctx context.Context, env *Env, in DeploymentIDInput) (*Result, error) {
			id, err := deployCheckID(in.DeploymentID)
			if err != nil {
				return nil, err
			}
			raw, err := deployCall(ctx, env, http.MethodPost, "/api/deployments/"+id+"/cancel", nil, nil)
			if err != nil {
				return nil, deployErr(err, id)
			}
			return Found(fmt.Sprintf("Deployment %s is canceled.", id), raw), nil
		}),
		Define(Spec{
			Name:        "get-deployment-metadata",
			Title:       "Get the site's hosting summary",
			Toolset:     Deployments,
			Hints:       Read,
			Description: "Read the project's hosting summary: the id of the live deployment (the newest READY one), its default URL and the custom-domain URL when a slug is set. Use it to tell the user where the site is.",
		}, func(ctx context.Context, env *Env, in NoInput) (*Result, error) {
			resp, err := env.Client.Do(ctx, insforge.Request{Method: http.MethodGet, Path: "/api/deployments/metadata"})
			if err != nil {
				return nil, deployErr(err, "")
			}
			raw, err := resp.JSON()
			if err != nil {
				return nil, err
			}
			if arr, ok := raw.([]any); ok && len(arr) == 0 {
				return Say("The backend reports no hosting metadata (an empty list): no site is deployed, or this self-hosted backend has no hosting configured. create-deployment tells which."), nil
			}
			var meta struct {
				CurrentDeploymentID *string `json:"currentDeploymentId"`
				DefaultDomainURL    *string `json:"defaultDomainUrl"`
				CustomDomainURL     *string `json:"customDomainUrl"`
			}
			_ = resp.Decode(&meta)
			summary := "No deployment is live yet (none is READY)."
			if meta.CurrentDeploymentID != nil {
				summary = "The site is live"
				if u := deploySafeURL(meta.DefaultDomainURL); u != "" {
					summary += " at " + u
				}
				if u := deploySafeURL(meta.CustomDomainURL); u != "" {
					summary += " and at " + u
				}
				summary += "."
			}
			return Found(summary, raw), nil
		}),
		Define(Spec{
			Name:        "list-deployment-env-vars",
			Title:       "List the site's environment variables",
			Toolset:     Deployments,
			Hints:       Read,
			Description: "List the hosted site's environment variables: id, key and type, never the values. Read one value with get-deployment-env-var; edge functions use backend secrets instead.",
		}, func(ctx context.Context, env *Env, in NoInput) (*Result, error) {
			vars, raw, err := deployListEnvVars(ctx, env)
			if err != nil {
				return nil, err
			}
			if len(vars) == 0 {
				return Found("The site has no environment variables.", raw), nil
			}
			return Found(fmt.Sprintf("%d environment variables (values are not listed).", len(vars)), raw), nil
		}),
		Define(Spec{
			Name:        "get-deployment-env-var",
			Title:       "Read one site environment variable with its value",
			Toolset:     Deployments,
			Hints:       Read,
			Description: "Read one environment variable of the hosted site, by id or key, including its value: the only tool that returns values, so do not repeat secret values to the user. Listing (list-deployment-env-vars) never shows them.",
		}, func(ctx context.Context, env *Env, in DeployEnvVarRefInput) (*Result, error) {
			id, key, err := deployResolveEnvVar(ctx, env, in)
			if err != nil {
				return nil, err
			}
			raw, err := deployCall(ctx, env, http.MethodGet, "/api/deployments/env-vars/"+url.PathEscape(id), nil, nil)
			if err != nil {
				return nil, deployEnvErr(err, id, key)
			}
			return Found("The variable with its value (do not repeat secret values to the user).", raw), nil
		}),
		Define(Spec{
			Name:        "set-deployment-env-vars",
			Title:       "Set site environment variables",
			Toolset:     Deployments,
			Hints:       Change,
			Description: "Create or overwrite environment variables of the hosted site (a list of {key, value}, unique keys). They take effect at the next build, so deploy again afterwards; the result names the keys saved, never the values.",
		}, func(ctx context.Context, env *Env, in SetDeployEnvVarsInput) (*Result, error) {
			if len(in.EnvVars) == 0 {
				return nil, Errorf("envVars is empty; give at least one {key, value}")
			}
			vars, err := deployCheckEnvVars(in.EnvVars)
			if err != nil {
				return nil, err
			}
			var out struct {
				Count int `json:"count"`
			}
			resp, err := env.Client.Do(ctx, insforge.Request{Method: http.MethodPost, Path: "/api/deployments/env-vars", Body: map[string]any{"envVars": vars}})
			if err != nil {
				return nil, deployErr(err, "")
			}
			_ = resp.Decode(&out)
			keys := make([]string, len(vars))
			for i, v := range vars {
				keys[i] = v.Key
			}
			return Found(fmt.Sprintf("Saved %d environment variables (%s). They apply from the next build: run create-deployment again to use them.", len(vars), strings.Join(keys, ", ")),
				map[string]any{"saved": keys, "count": out.Count}), nil
		}),
		Define(Spec{
			Name:        "delete-deployment-env-var",
			Title:       "Delete a site environment variable",
			Toolset:     Deployments,
			Hints:       Remove,
			Description: "Delete one environment variable of the hosted site, by id or key. The running site keeps the old value until the next build.",
		}, func(ctx context.Context, env *Env, in DeployEnvVarRefInput) (*Result, error) {
			id, key, err := deployResolveEnvVar(ctx, env, in)
			if err != nil {
				return nil, err
			}
			raw, err := deployCall(ctx, env, http.MethodDelete, "/api/deployments/env-vars/"+url.PathEscape(id), nil, nil)
			if err != nil {
				return nil, deployEnvErr(err, id, key)
			}
			what := "Environment variable " + id
			if key != "" {
				what = "Environment variable " + key
			}
			return Found(what+" is deleted; the site loses it at its next build.", raw), nil
		}),
		Define(Spec{
			Name:        "list-custom-domains",
			Title:       "List custom domains",
			Toolset:     Deployments,
			Hints:       Read,
			Description: "List the custom domains attached to the hosted site, each with verified, misconfigured and the DNS records it still needs (verification, cnameTarget, aRecordValue).",
		}, func(ctx context.Context, env *Env, in NoInput) (*Result, error) {
			var out struct {
				Domains []any `json:"domains"`
			}
			resp, err := env.Client.Do(ctx, insforge.Request{Method: http.MethodGet, Path: "/api/deployments/domains"})
			if err != nil {
				return nil, deployErr(err, "")
			}
			raw, err := resp.JSON()
			if err != nil {
				return nil, err
			}
			_ = resp.Decode(&out)
			if len(out.Domains) == 0 {
				return Found("No custom domains. add-custom-domain attaches one the user owns.", raw), nil
			}
			return Found(fmt.Sprintf("%d custom domains.", len(out.Domains)), raw), nil
		}),
		Define(Spec{
			Name:        "add-custom-domain",
			Title:       "Add a custom domain",
			Toolset:     Deployments,
			Hints:       Create,
			Description: "Attach a domain the user owns (e.g. www.example.com) to the hosted site. The result lists the DNS records the user must create at their DNS provider (verification, cnameTarget or aRecordValue); then call verify-custom-domain until verified is true and misconfigured is false.",
		}, func(ctx context.Context, env *Env, in CustomDomainInput) (*Result, error) {
			domain, err := deployCheckDomain(in.Domain)
			if err != nil {
				return nil, err
			}
			return domainCall(ctx, env, domain, "Added", insforge.Request{Method: http.MethodPost, Path: "/api/deployments/domains", Body: map[string]any{"domain": domain}})
		}),
		Define(Spec{
			Name:        "verify-custom-domain",
			Title:       "Check a custom domain's DNS",
			Toolset:     Deployments,
			Hints:       Hints{ReadOnly: No, Destructive: No, Idempotent: Yes, OpenWorld: Yes},
			Description: "Ask the hosting provider to check a custom domain's DNS again; returns verified, misconfigured and the records still needed. DNS changes can take minutes to hours to be seen, so space out repeated checks.",
		}, func(ctx context.Context, env *Env, in CustomDomainInput) (*Result, error) {
			domain, err := deployCheckDomain(in.Domain)
			if err != nil {
				return nil, err
			}
			return domainCall(ctx, env, domain, "Checked", insforge.Request{Method: http.MethodPost, Path: "/api/deployments/domains/" + url.PathEscape(domain) + "/verify"})
		}),
		Define(Spec{
			Name:        "remove-custom-domain",
			Title:       "Remove a custom domain",
			Toolset:     Deployments,
			Hints:       Remove,
			Description: "Detach a custom domain from the hosted site; the site stops answering on it (the user's DNS records are not touched). The default domain keeps working.",
		}, func(ctx context.Context, env *Env, in CustomDomainInput) (*Result, error) {
			domain, err := deployCheckDomain(in.Domain)
			if err != nil {
				return nil, err
			}
			raw, err := deployCall(ctx, env, http.MethodDelete, "/api/deployments/domains/"+url.PathEscape(domain), nil, nil)
			if err != nil {
				return nil, deployDomainErr(err, domain)
			}
			return Found(domain+" is removed from the site. The user can delete its DNS records.", raw), nil
		}),
		Define(Spec{
			Name:        "set-project-slug",
			Title:       "Set the project's insforge.site subdomain",
			Toolset:     Deployments,
			Hints:       Change,
			Description: "Set the project's subdomain on insforge.site (slug my-app serves the site at https://my-app.insforge.site), or remove it with reset: true. Only on InsForge Cloud: a self-hosted backend answers 503; a slug another project uses answers 409.",
		}, func(ctx context.Context, env *Env, in ProjectSlugInput) (*Result, error) {
			var slug any
			switch {
			case in.Reset && in.Slug != nil:
				return nil, Errorf("give either slug or reset: true, not both")
			case in.Reset:
				slug = nil
			case in.Slug == nil:
				return nil, Errorf("give slug (e.g. my-app) or reset: true to remove the custom slug")
			default:
				s := strings.TrimSpace(*in.Slug)
				if len(s) < 3 || len(s) > 63 || !deploySlugRe.MatchString(s) {
					return nil, Errorf("%q is not a valid slug: use 3-63 lowercase letters, digits and hyphens, not starting or ending with a hyphen (e.g. my-app)", *in.Slug)
				}
				slug = s
			}
			var out struct {
				Slug   *string `json:"slug"`
				Domain *string `json:"domain"`
			}
			resp, err := env.Client.Do(ctx, insforge.Request{Method: http.MethodPut, Path: "/api/deployments/slug", Body: map[string]any{"slug": slug}})
			if err != nil {
				var ae *insforge.Error
				switch {
				case errors.As(err, &ae) && ae.Status == http.StatusServiceUnavailable && strings.Contains(strings.ToLower(ae.Message), "cloud"):
					return nil, Errorf("Custom slugs exist only on InsForge Cloud; this backend answered 503 (%s). On a self-hosted backend use add-custom-domain with a domain the user owns.", strings.TrimSuffix(ae.Message, "."))
				case errors.As(err, &ae) && ae.Status == http.StatusConflict:
					return nil, Errorf("The slug %v is taken (409): pick another one.", slug)
				}
				return nil, deployErr(err, "")
			}
			raw, err := resp.JSON()
			if err != nil {
				return nil, err
			}
			_ = resp.Decode(&out)
			if slug == nil {
				return Found("The custom slug is removed; the site is served on its default domain.", raw), nil
			}
			return Found(fmt.Sprintf("The project's slug is now %s.", slug), raw), nil
		}),
	}
}

func deployStatusWord(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

// deployDescribe is our sentence about a record.
func deployDescribe(rec deployRecord) string {
	switch rec.Status {
	case "READY":
		if u := deploySafeURL(rec.URL); u != "" {
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
	return fmt.Sprintf("Deployment %s is %s; check again in a little while.", rec.ID, deployStatusWord(rec.Status))
}

func deployDomainSummary(prefix, domain string, verified, misconfigured bool) string {
	switch {
	case verified && !misconfigured:
		return prefix + " It is verified and correctly configured: the site answers on https://" + domain + "."
	case verified:
		return prefix + " It is verified but its DNS is not pointing at the site yet: create the cnameTarget (subdomain) or aRecordValue (apex) record, then call verify-custom-domain again."
	}
	return prefix + " It is not verified yet: the user must create the DNS records listed below (verification, and cnameTarget for a subdomain or aRecordValue for an apex domain) at their DNS provider, then call verify-custom-domain."
}

func deployDomainErr(err error, domain string) error {
	var ae *insforge.Error
	if errors.As(err, &ae) && !ae.NotJSON {
		switch {
		case ae.Status == http.StatusConflict:
			return Errorf("%s is already attached (409 %s: %s). list-custom-domains shows the project's domains; a domain used by another hosting project must be removed there first.", domain, ae.Code, strings.TrimSuffix(ae.Message, "."))
		case ae.Status == http.StatusNotFound && ae.Code == "DOMAIN_NOT_FOUND":
			return Errorf("%s is not attached to the site (404). list-custom-domains shows the attached domains.", domain)
		}
	}
	return deployErr(err, "")
}

// deployListEnvVars reads the variable list (ids, keys, types).
func deployListEnvVars(ctx context.Context, env *Env) ([]deployEnvVarInfo, any, error) {
	resp, err := env.Client.Do(ctx, insforge.Request{Method: http.MethodGet, Path: "/api/deployments/env-vars"})
	if err != nil {
		return nil, nil, deployErr(err, "")
	}
	raw, err := resp.JSON()
	if err != nil {
		return nil, nil, err
	}
	var out struct {
		EnvVars []deployEnvVarInfo `json:"envVars"`
	}
	if err := resp.Decode(&out); err != nil {
		return nil, nil, err
	}
	return out.EnvVars, raw, nil
}

type deployEnvVarInfo struct {
	ID  string `json:"id"`
	Key string `json:"key"`
}

// deployResolveEnvVar returns the id of the variable named by id or key.
func deployResolveEnvVar(ctx context.Context, env *Env, in DeployEnvVarRefInput) (id, key string, err error) {
	id, key = strings.TrimSpace(in.ID), strings.TrimSpace(in.Key)
	switch {
	case id != "" && key != "":
		return "", "", Errorf("give either id or key, not both")
	case id != "":
		return id, "", nil
	case key == "":
		return "", "", Errorf("give the variable's key (e.g. VITE_INSFORGE_URL) or its id from list-deployment-env-vars")
	}
	vars, _, err := deployListEnvVars(ctx, env)
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
		return "", "", Errorf("the site has no environment variable %s (it has none). set-deployment-env-vars creates variables.", key)
	}
	return "", "", Errorf("the site has no environment variable %s; it has %s (names are case-sensitive)", key, deployFirst(keys, 20))
}

func deployEnvErr(err error, id, key string) error {
	var ae *insforge.Error
	if errors.As(err, &ae) && !ae.NotJSON && ae.Status == http.StatusNotFound && strings.Contains(ae.Code, "NOT_FOUND") {
		name := id
		if key != "" {
			name = key
		}
		return Errorf("There is no environment variable %s (404). list-deployment-env-vars shows the ids and keys.", name)
	}
	return deployErr(err, "")
}

// ---- create-deployment ----

// runLocallyHint tells a remote client how to deploy a folder instead.
const runLocallyHint = "To deploy a local folder, run insforge-mcp on the user's own machine over stdio (its default transport: the MCP client starts the binary, e.g. `claude mcp add insforge -- insforge-mcp` with INSFORGE_PROJECT_URL and INSFORGE_API_KEY in its environment) and call create-deployment there"

// deployResolveDir checks sourceDirectory on this machine.
func deployResolveDir(env *Env, dir string) (string, error) {
	dir = strings.TrimSpace(dir)
	if dir == "" {
		return "", Errorf("sourceDirectory is empty: give the absolute path of the app's folder (where its package.json is)")
	}
	remote := env.Config.Remote
	if remote && env.Config.FilesRoot == "" {
		return "", Errorf("This server is reached over HTTP (SSE or streamable HTTP) and may run on another machine, which cannot see the user's files, so it does not deploy folders for remote clients. %s. Nothing was uploaded.", runLocallyHint)
	}
	abs, err := LocalPath(env, dir)
	if err != nil {
		return "", err
	}
	info, err := os.Stat(abs)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		msg := MissingLocal(env, "sourceDirectory", dir, abs,
			"This server is reached over HTTP (SSE or streamable HTTP) and may run on another machine, which cannot see the user's files. "+runLocallyHint, "")
		return "", Errorf("%s. Nothing was uploaded.", msg)
	case err != nil:
		return "", Errorf("cannot read sourceDirectory %s: %v. Nothing was uploaded.", abs, deployErrText(err))
	case !info.IsDir():
		return "", Errorf("sourceDirectory %s is a file, not a folder; give the folder that holds the app. Nothing was uploaded.", abs)
	}
	return abs, nil
}

// deployRun is one create-deployment call once a deployment exists.
type deployRun struct {
	env  *Env
	id   string
	mode string
}

// abort cancels the deployment after a failure or a cancelled request, with
// a context of its own (the request's may be done), and says what happened.
func (r *deployRun) abort(ctx context.Context) string {
	if r.id == "" {
		return ""
	}
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), deployTuning.cancelTimeout)
	defer cancel()
	_, err := r.env.Client.Do(cctx, insforge.Request{Method: http.MethodPost, Path: "/api/deployments/" + r.id + "/cancel"})
	if err != nil {
		return fmt.Sprintf(" Cancelling deployment %s failed as well (%s); cancel it with cancel-deployment.", r.id, Explain(err))
	}
	return fmt.Sprintf(" Deployment %s was cancelled so that it does not stay half-done.", r.id)
}

// cancelled is the error of a request the client cancelled.
func (r *deployRun) cancelled(ctx context.Context, phase string) error {
	return Errorf("create-deployment was cancelled by the client while %s.%s", phase, r.abort(ctx))
}

func deployCreate(ctx context.Context, env *Env, in CreateDeploymentInput) (*Result, error) {
	startBody, err := in.DeployStartOptions.body()
	if err != nil {
		return nil, err
	}
	timeout := 600 * time.Second
	if in.WaitTimeoutSeconds != 0 {
		if in.WaitTimeoutSeconds < 10 || in.WaitTimeoutSeconds > 3600 {
			return nil, Errorf("waitTimeoutSeconds must be between 10 and 3600 (got %d)", in.WaitTimeoutSeconds)
		}
		timeout = time.Duration(in.WaitTimeoutSeconds) * time.Second
	}
	wait := in.Wait == nil || *in.Wait

	dir, err := deployResolveDir(env, in.SourceDirectory)
	if err != nil {
		return nil, err
	}
	walk, err := deployScan(dir)
	if err != nil {
		return nil, Errorf("cannot read sourceDirectory %s: %v. Nothing was uploaded.", dir, deployErrText(err))
	}
	if err := walk.check(deployTuning.limits); err != nil {
		return nil, err
	}
	files, totalBytes := walk.files, walk.totalBytes()
	units := deployUnits(files)
	prog := &deployProgress{report: env.Progress, total: 2 * units}
	prog.add(0, true, func() string {
		return fmt.Sprintf("Found %d files (%s) to deploy; %d entries left out", len(files), deployBytes(totalBytes), len(walk.skipped))
	})
	run := &deployRun{env: env}
	if err := deployHashAll(ctx, files, prog); err != nil {
		if ctx.Err() != nil {
			return nil, run.cancelled(ctx, "hashing files (nothing was created)")
		}
		return nil, err
	}

	// Create the deployment: the direct flow, or the legacy zip flow on a
	// backend that predates it.
	manifest := make([]map[string]any, len(files))
	for i, f := range files {
		manifest[i] = map[string]any{"path": f.Path, "sha": f.SHA, "size": f.Size}
	}
	var created struct {
		ID    string `json:"id"`
		Files []struct {
			Path   string `json:"path"`
			FileID string `json:"fileId"`
		} `json:"files"`
	}
	err = env.Client.Send(ctx, http.MethodPost, "/api/deployments/direct", map[string]any{"files": manifest}, &created)
	switch {
	case err == nil:
		run.id, run.mode = created.ID, "direct"
		if _, err := deployCheckID(run.id); err != nil {
			return nil, fmt.Errorf("the backend answered POST /api/deployments/direct without a valid deployment id")
		}
		fileIDs := make(map[string]string, len(created.Files))
		for _, f := range created.Files {
			fileIDs[f.Path] = f.FileID
		}
		if err := deployUploadAll(ctx, env, run.id, files, fileIDs, prog); err != nil {
			if ctx.Err() != nil {
				return nil, run.cancelled(ctx, "uploading files")
			}
			return nil, deployUploadFailed(err, run.abort(ctx))
		}
	case insforge.StatusOf(err) == http.StatusNotFound:
		if err := deployLegacy(ctx, env, run, files, prog); err != nil {
			return nil, err
		}
	default:
		if ctx.Err() != nil {
			return nil, run.cancelled(ctx, "registering the files")
		}
		return nil, deployCreateFailed(err)
	}

	// Start the build.
	var rec deployRecord
	raw, err := deployCall(ctx, env, http.MethodPost, "/api/deployments/"+run.id+"/start", startBody, &rec)
	if err != nil {
		if ctx.Err() != nil {
			return nil, run.cancelled(ctx, "starting the build")
		}
		return nil, Errorf("All %d files were uploaded, but starting the build failed: %s%s", len(files), Explain(deployErr(err, run.id)), run.abort(ctx))
	}
	prog.step(fmt.Sprintf("Deployment %s is %s", run.id, deployStatusWord(rec.Status)))

	result := map[string]any{
		"deploymentId":    run.id,
		"uploadMode":      run.mode,
		"sourceDirectory": walk.root,
		"files":           len(files),
		"bytes":           totalBytes,
	}
	deploySkippedData(result, walk.skipped)
	uploaded := fmt.Sprintf("Uploaded %d files (%s) from %s", len(files), deployBytes(totalBytes), walk.root)
	if run.mode == "legacy" {
		uploaded += " as a zip (this backend has no direct upload flow)"
	}
	skipped := deploySkippedSummary(walk.skipped)

	if !wait {
		result["deployment"] = raw
		return Found(fmt.Sprintf("%s and started the build of deployment %s (status %s).%s Poll get-deployment until it is READY or ERROR.",
			uploaded, run.id, deployStatusWord(rec.Status), skipped), result), nil
	}

	rec, raw, timedOut, err := deployWait(ctx, env, run.id, rec, raw, timeout, func(r deployRecord) {
		prog.step(fmt.Sprintf("Deployment %s is %s", r.ID, deployStatusWord(r.Status)))
	})
	if err != nil {
		if ctx.Err() != nil {
			return nil, run.cancelled(ctx, "waiting for the build")
		}
		return nil, Errorf("%s and started deployment %s, but reading its status failed: %s. Check it with get-deployment.", uploaded, run.id, Explain(deployErr(err, run.id)))
	}
	result["deployment"] = raw
	switch {
	case timedOut:
		prog.finish(fmt.Sprintf("Deployment %s is still %s", run.id, deployStatusWord(rec.Status)))
		return Found(fmt.Sprintf("%s and started deployment %s; after %s it is still %s. The build goes on: check it with get-deployment (or sync-deployment) instead of deploying again.%s",
			uploaded, run.id, timeout, deployStatusWord(rec.Status), skipped), result), nil
	case rec.Status == "ERROR":
		prog.finish(fmt.Sprintf("Deployment %s failed", run.id))
		reason := deployBuildError(rec.Metadata)
		if reason == "" {
			reason = "the backend gave no reason"
		}
		return nil, Errorf("The build of deployment %s failed (status ERROR): %q. %s. Check projectSettings (buildCommand, outputDirectory) against package.json and the envVars the app needs, run the build locally, fix it and call create-deployment again; get-deployment %s shows the whole record.",
			run.id, reason, uploaded, run.id)
	case rec.Status == "CANCELED":
		prog.finish(fmt.Sprintf("Deployment %s was canceled", run.id))
		return nil, Errorf("Deployment %s was canceled before it finished (by someone else or with cancel-deployment). %s. Call create-deployment again to deploy.", run.id, uploaded)
	}
	prog.finish(fmt.Sprintf("Deployment %s is READY", run.id))
	live := "The site is live"
	if u := deploySafeURL(rec.URL); u != "" {
		live += " at " + u
	}
	return Found(fmt.Sprintf("%s. Deployment %s is READY. %s.%s", uploaded, run.id, live, skipped), result), nil
}

// deployLegacy runs the zip flow: create, stream the zip to the presigned
// form, ready to start.
func deployLegacy(ctx context.Context, env *Env, run *deployRun, files []*deployFile, prog *deployProgress) error {
	var created struct {
		ID           string            `json:"id"`
		UploadURL    string            `json:"uploadUrl"`
		UploadFields map[string]string `json:"uploadFields"`
	}
	if err := env.Client.Send(ctx, http.MethodPost, "/api/deployments", nil, &created); err != nil {
		if ctx.Err() != nil {
			return run.cancelled(ctx, "creating the deployment")
		}
		var ae *insforge.Error
		switch {
		case errors.As(err, &ae) && ae.Status == http.StatusNotFound:
			return Errorf("This backend does not support deployments: POST /api/deployments/direct and POST /api/deployments both answered 404. Upgrade the InsForge backend. Nothing was uploaded.")
		case errors.As(err, &ae) && ae.Status == http.StatusServiceUnavailable && strings.Contains(ae.Message, "S3"):
			return Errorf("This backend has no direct upload flow (POST /api/deployments/direct answered 404) and its legacy zip flow needs S3 storage, which is not configured (503: %s). Upgrade the backend or configure S3_BUCKET. Nothing was uploaded.", strings.TrimSuffix(ae.Message, "."))
		}
		return deployCreateFailed(err)
	}
	run.id, run.mode = created.ID, "legacy"
	if _, err := deployCheckID(run.id); err != nil {
		return fmt.Errorf("the backend answered POST /api/deployments without a valid deployment id")
	}
	if u, err := url.Parse(created.UploadURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return Errorf("the backend returned no usable upload URL for the source zip.%s", run.abort(ctx))
	}
	form := newDeployLegacyForm(created.UploadFields, files)
	if err := deployLegacyUpload(ctx, env, created.UploadURL, form, prog); err != nil {
		if ctx.Err() != nil {
			return run.cancelled(ctx, "uploading the source zip")
		}
		var ue *UserError
		if errors.As(err, &ue) {
			return Errorf("%s.%s", strings.TrimSuffix(ue.Error(), "."), run.abort(ctx))
		}
		return Errorf("Uploading the source zip failed: %v.%s Retry create-deployment in a moment.", err, run.abort(ctx))
	}
	return nil
}

func deployCreateFailed(err error) error {
	err = deployErr(err, "")
	var ue *UserError
	if errors.As(err, &ue) {
		return err
	}
	return Errorf("Registering the files failed: %s Nothing was uploaded.", Explain(err))
}

func deployUploadFailed(err error, aborted string) error {
	var fe *deployFileError
	if errors.As(err, &fe) {
		return Errorf("Uploading %s failed after %d attempts: %s%s Retry create-deployment; if it keeps failing, check the backend (get-backend-metadata).", fe.path, fe.attempts, Explain(fe.err), aborted)
	}
	var ue *UserError
	if errors.As(err, &ue) {
		return Errorf("%s.%s", strings.TrimSuffix(ue.Error(), "."), aborted)
	}
	return Errorf("Uploading the files failed: %s%s", Explain(err), aborted)
}

// deployWait polls the deployment until it reaches a final status or the
// timeout. It asks the backend to sync with the hosting provider (the
// stored status only changes through sync or provider webhooks) and reads
// the stored record when sync is refused.
func deployWait(ctx context.Context, env *Env, id string, rec deployRecord, raw any, timeout time.Duration, onChange func(deployRecord)) (deployRecord, any, bool, error) {
	deadline := time.Now().Add(timeout)
	interval := deployTuning.pollFirst
	useSync := true
	failures := 0
	for !deployTerminal(rec.Status) {
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
		interval = min(interval*3/2, deployTuning.pollMax)
		var next deployRecord
		var nextRaw any
		var err error
		if useSync {
			nextRaw, err = deployCall(ctx, env, http.MethodPost, "/api/deployments/"+id+"/sync", nil, &next)
			if insforge.StatusOf(err) == http.StatusBadRequest {
				useSync = false
			}
		}
		if !useSync {
			nextRaw, err = deployCall(ctx, env, http.MethodGet, "/api/deployments/"+id, nil, &next)
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
		changed := next.Status != rec.Status
		rec, raw = next, nextRaw
		if changed {
			onChange(rec)
		}
	}
	return rec, raw, false, nil
}

// deploySkippedData adds the skipped entries (at most 100) to the result.
func deploySkippedData(result map[string]any, skipped []deploySkip) {
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

// deploySkippedSummary counts the skipped entries by reason.
func deploySkippedSummary(skipped []deploySkip) string {
	if len(skipped) == 0 {
		return ""
	}
	count := map[string]int{}
	var order []string
	for _, s := range skipped {
		reason := s.Reason
		if strings.HasPrefix(reason, deploySkipIgnored) {
			reason = deploySkipIgnored
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

// domainCall sends a custom-domain request and summarises the domain
// object it answers with.
func domainCall(ctx context.Context, env *Env, domain, verb string, req insforge.Request) (*Result, error) {
	resp, err := env.Client.Do(ctx, req)
	if err != nil {
		return nil, deployDomainErr(err, domain)
	}
	raw, err := resp.JSON()
	if err != nil {
		return nil, err
	}
	var d struct {
		Verified      bool `json:"verified"`
		Misconfigured bool `json:"misconfigured"`
	}
	_ = resp.Decode(&d)
	return Found(deployDomainSummary(verb+" "+domain+".", domain, d.Verified, d.Misconfigured), raw), nil
}
