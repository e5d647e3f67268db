// Package secrets declares the tools for project secrets (the environment
// variables edge functions read) and the rotation of the admin and anon
// keys (routes under /api/secrets). Secret values never appear in a result
// except from get-secret, whose whole purpose is to read one; the new admin
// key from rotate-api-key only with reveal=true.
package secrets

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/invopop/jsonschema"

	"github.com/insforge-mcp/insforge-mcp/insforge"
	"github.com/insforge-mcp/insforge-mcp/tools"
)

var keyRE = regexp.MustCompile(`^[A-Z0-9_]+$`)

// KeyInput names one secret.
type KeyInput struct {
	Key string `json:"key" jsonschema:"required,minLength=1" jsonschema_description:"From list-secrets."`
}

// GetInput are the arguments of get-secret.
type GetInput struct {
	Key string `json:"key" jsonschema:"required,minLength=1" jsonschema_description:"From list-secrets."`
}

// CreateInput are the arguments of create-secret.
type CreateInput struct {
	Key       string `json:"key" jsonschema:"required,minLength=1,pattern=^[A-Z0-9_]+$" jsonschema_description:"E.g. STRIPE_SECRET_KEY."`
	Value     string `json:"value" jsonschema:"required,minLength=1" jsonschema_description:"From the user; stored encrypted, never shown."`
	ExpiresAt string `json:"expiresAt,omitempty" jsonschema_description:"ISO 8601 time; after it functions no longer get it."`
}

// UpdateInput are the arguments of update-secret.
type UpdateInput struct {
	Key       string       `json:"key" jsonschema:"required,minLength=1" jsonschema_description:"From list-secrets."`
	Value     *string      `json:"value,omitempty" jsonschema_description:"Omit to keep it."`
	IsActive  *bool        `json:"isActive,omitempty" jsonschema_description:"false hides it from functions."`
	ExpiresAt optionalTime `json:"expiresAt,omitempty" jsonschema_description:"ISO 8601 time; null or \"\" removes it."`
}

// RotateAPIKeyInput are the arguments of rotate-api-key.
type RotateAPIKeyInput struct {
	GracePeriodHours *int `json:"gracePeriodHours,omitempty" jsonschema:"minimum=0,maximum=168,default=24" jsonschema_description:"The old key works this long; 0 stops it, and this connection, at once."`
	Reveal           bool `json:"reveal,omitempty" jsonschema_description:"Show the new key here; only if the user explicitly asks."`
}

// RotateAnonKeyInput are the arguments of rotate-anon-key.
type RotateAnonKeyInput struct {
	GracePeriodHours *int `json:"gracePeriodHours,omitempty" jsonschema:"minimum=0,maximum=720,default=168" jsonschema_description:"The old key works this long, to redeploy apps."`
}

// optionalTime is an argument that distinguishes "absent" (keep), null or
// "" (clear) and a time.
type optionalTime struct {
	Set   bool
	Value string // "" with Set = clear
}

// UnmarshalJSON records that the argument was given; null reads as clear.
func (o *optionalTime) UnmarshalJSON(b []byte) error {
	o.Set = true
	if bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		o.Value = ""
		return nil
	}
	return json.Unmarshal(b, &o.Value)
}

// JSONSchema describes it as a string (null is accepted too).
func (optionalTime) JSONSchema() *jsonschema.Schema {
	return &jsonschema.Schema{Type: "string"}
}

// meta is the part of a secret's metadata a result may show.
type meta struct {
	Key        string  `json:"key"`
	IsActive   bool    `json:"isActive"`
	IsReserved bool    `json:"isReserved"`
	LastUsedAt *string `json:"lastUsedAt"`
	ExpiresAt  *string `json:"expiresAt"`
}

// List is list-secrets.
func List() tools.Tool {
	return tools.Define(tools.Spec{
		Name:        "list-secrets",
		Title:       "List secrets",
		Hints:       tools.Read,
		Description: "List secret keys and status, never values. Active secrets reach edge functions as Deno.env.get('KEY'); check here that one a function needs exists.",
	}, list)
}

// Get is get-secret.
func Get() tools.Tool {
	return tools.Define(tools.Spec{
		Name:        "get-secret",
		Title:       "Read a secret's value",
		Hints:       tools.Read,
		Description: "Read a secret's value into this conversation: only when the user explicitly asks to see it, never to check it exists (list-secrets). Don't repeat it in code, files or answers.",
	}, get)
}

// Create is create-secret.
func Create() tools.Tool {
	return tools.Define(tools.Spec{
		Name:        "create-secret",
		Title:       "Create a secret",
		Hints:       tools.Create,
		Description: "Store a secret for edge functions (Deno.env.get('KEY')) and schedule headers (${{secrets.KEY}}). An active key: 409, use update-secret; a deleted one is revived.",
	}, create)
}

// Update is update-secret.
func Update() tools.Tool {
	return tools.Define(tools.Spec{
		Name:        "update-secret",
		Title:       "Update a secret",
		Hints:       tools.Change,
		Description: "Change a secret's value, active flag or expiry. Functions see it after their next deployment (automatic on Cloud). Reserved system keys: use rotate-api-key or rotate-anon-key.",
	}, update)
}

// Delete is delete-secret.
func Delete() tools.Tool {
	return tools.Define(tools.Spec{
		Name:        "delete-secret",
		Title:       "Delete a secret",
		Hints:       tools.Remove,
		Description: "Soft-delete a secret: functions no longer get it. create-secret, or update-secret with isActive true, revives it. Reserved system secrets cannot be deleted.",
	}, remove)
}

// RotateAPIKey is rotate-api-key.
func RotateAPIKey() tools.Tool {
	return tools.Define(tools.Spec{
		Name:        "rotate-api-key",
		Title:       "Rotate the admin API key",
		Hints:       tools.Overwrite,
		Description: "Replace the admin API key (ik_...) this server uses; only on the user's request. The new key is withheld unless reveal: the user copies it from the dashboard and calls connect-project with it before the grace period ends.",
	}, rotateAPIKey)
}

// RotateAnonKey is rotate-anon-key.
func RotateAnonKey() tools.Tool {
	return tools.Define(tools.Spec{
		Name:        "rotate-anon-key",
		Title:       "Rotate the anon key",
		Hints:       tools.Overwrite,
		Description: "Replace the public anon key (anon_...). Apps embedding the old one break after the grace period: put the new key from the result in their env (.env, deployment env vars) and redeploy.",
	}, rotateAnonKey)
}

// checkKey validates a key before it goes into a path.
func checkKey(key string) error {
	if !keyRE.MatchString(key) {
		return tools.Errorf("%q is not a valid secret key: use uppercase letters, digits and underscores only (for example STRIPE_SECRET_KEY). list-secrets shows the existing keys.", key)
	}
	return nil
}

// checkExpiry validates an expiry time and returns it normalised.
func checkExpiry(s string) (string, error) {
	t, ok := tools.ParseISOTime(s)
	if !ok {
		return "", tools.Errorf("expiresAt %q is not an ISO 8601 time; use a value like 2026-12-31T23:59:59Z.", s)
	}
	return t.UTC().Format(time.RFC3339), nil
}

// apiError rewrites the backend's answers for a key that does not
// exist (404) or is reserved (403) into what to do next.
func apiError(err error, key string) error {
	var ae *insforge.Error
	if !errors.As(err, &ae) || ae.NotJSON {
		return err
	}
	switch {
	case ae.Status == http.StatusNotFound && ae.Code == "SECRET_NOT_FOUND":
		return tools.Errorf("There is no active secret %s (it may never have existed, be deleted or have expired). Call list-secrets to see the keys; create it with create-secret.", key)
	case ae.Status == http.StatusForbidden:
		return tools.QuotedErrorf(ae.Message, "%s is a reserved system secret and cannot be changed or deleted (403; the backend's message is below). The admin and anon keys are replaced with rotate-api-key and rotate-anon-key.", key)
	}
	return err
}

func list(ctx context.Context, env *tools.Env, _ tools.NoInput) (*tools.Result, error) {
	out, _, err := insforge.Call[struct {
		Secrets []meta `json:"secrets"` // only metadata fields are decoded
	}](ctx, env.Client, insforge.Request{Path: "/api/secrets"})
	if err != nil {
		return nil, err
	}
	out.Secrets = tools.OrEmpty(out.Secrets)
	active, reserved := 0, 0
	for _, s := range out.Secrets {
		if s.IsActive {
			active++
		}
		if s.IsReserved {
			reserved++
		}
	}
	summary := fmt.Sprintf("%s (%d active, %d reserved by the system). Values are not listed; active secrets reach edge functions as environment variables.",
		tools.Plural(len(out.Secrets), "secret"), active, reserved)
	return tools.Found(summary, map[string]any{"secrets": out.Secrets}), nil
}

func get(ctx context.Context, env *tools.Env, in GetInput) (*tools.Result, error) {
	if err := checkKey(in.Key); err != nil {
		return nil, err
	}
	out, _, err := insforge.Call[struct {
		Key   string `json:"key"`
		Value string `json:"value"`
	}](ctx, env.Client, insforge.Request{Path: "/api/secrets/" + url.PathEscape(in.Key)})
	if err != nil {
		return nil, apiError(err, in.Key)
	}
	return tools.Found(fmt.Sprintf("Value of secret %s, as the user asked. Do not copy it into code, files or later answers unless the user asks for exactly that; functions read it as Deno.env.get('%s').", in.Key, in.Key),
		map[string]any{"key": in.Key, "value": out.Value}), nil
}

func create(ctx context.Context, env *tools.Env, in CreateInput) (*tools.Result, error) {
	if err := checkKey(in.Key); err != nil {
		return nil, err
	}
	body := map[string]any{"key": in.Key, "value": in.Value}
	if in.ExpiresAt != "" {
		exp, err := checkExpiry(in.ExpiresAt)
		if err != nil {
			return nil, err
		}
		body["expiresAt"] = exp
	}
	out, _, err := insforge.Call[struct {
		ID string `json:"id"`
	}](ctx, env.Client, insforge.Request{Method: http.MethodPost, Path: "/api/secrets", Body: body})
	if err != nil {
		var ae *insforge.Error
		if errors.As(err, &ae) && ae.Status == http.StatusConflict {
			return nil, tools.Errorf("A secret %s already exists. To change its value call update-secret with key %s; list-secrets shows the existing keys.", in.Key, in.Key)
		}
		return nil, err
	}
	summary := fmt.Sprintf("Created secret %s (the value is stored encrypted and not shown). Edge functions read it as Deno.env.get('%s'); on InsForge Cloud the functions are redeployed with it automatically.", in.Key, in.Key)
	return tools.Found(summary, map[string]any{"key": in.Key, "id": out.ID}), nil
}

func update(ctx context.Context, env *tools.Env, in UpdateInput) (*tools.Result, error) {
	if err := checkKey(in.Key); err != nil {
		return nil, err
	}
	body := map[string]any{}
	var changes []string
	if in.Value != nil {
		if *in.Value == "" {
			return nil, tools.Errorf("value must not be empty; to stop functions from getting the secret, set isActive false or call delete-secret.")
		}
		body["value"] = *in.Value
		changes = append(changes, "new value")
	}
	if in.IsActive != nil {
		body["isActive"] = *in.IsActive
		if *in.IsActive {
			changes = append(changes, "enabled")
		} else {
			changes = append(changes, "disabled")
		}
	}
	if in.ExpiresAt.Set {
		if in.ExpiresAt.Value == "" {
			body["expiresAt"] = nil
			changes = append(changes, "no expiry")
		} else {
			exp, err := checkExpiry(in.ExpiresAt.Value)
			if err != nil {
				return nil, err
			}
			body["expiresAt"] = exp
			changes = append(changes, "expires "+exp)
		}
	}
	if len(body) == 0 {
		return nil, tools.Errorf("Nothing to change: give at least one of value, isActive or expiresAt.")
	}
	req := insforge.Request{Method: http.MethodPut, Path: "/api/secrets/" + url.PathEscape(in.Key), Body: body, Idempotent: true}
	if _, _, err := insforge.Call[struct{}](ctx, env.Client, req); err != nil {
		return nil, apiError(err, in.Key)
	}
	return tools.Say("Updated secret %s: %s. Functions get the change with their next deployment (automatic on InsForge Cloud).", in.Key, strings.Join(changes, ", ")), nil
}

func remove(ctx context.Context, env *tools.Env, in KeyInput) (*tools.Result, error) {
	if err := checkKey(in.Key); err != nil {
		return nil, err
	}
	req := insforge.Request{Method: http.MethodDelete, Path: "/api/secrets/" + url.PathEscape(in.Key), Idempotent: true}
	if _, _, err := insforge.Call[struct{}](ctx, env.Client, req); err != nil {
		return nil, apiError(err, in.Key)
	}
	return tools.Say("Deleted secret %s: it is deactivated, so functions no longer receive it. create-secret with the same key, or update-secret with isActive true, restores it.", in.Key), nil
}

func gracePeriod(v *int, def, max int) (int, error) {
	if v == nil {
		return def, nil
	}
	if *v < 0 || *v > max {
		return 0, tools.Errorf("gracePeriodHours must be between 0 and %d (got %d).", max, *v)
	}
	return *v, nil
}

func rotateAPIKey(ctx context.Context, env *tools.Env, in RotateAPIKeyInput) (*tools.Result, error) {
	hours, err := gracePeriod(in.GracePeriodHours, 24, 168)
	if err != nil {
		return nil, err
	}
	out, _, err := insforge.Call[struct {
		APIKey          string `json:"apiKey"`
		OldKeyExpiresAt string `json:"oldKeyExpiresAt"`
	}](ctx, env.Client, insforge.Request{Method: http.MethodPost, Path: "/api/secrets/api-key/rotate", Body: map[string]any{"gracePeriodHours": hours}})
	if err != nil {
		return nil, err
	}
	data := map[string]any{"oldKeyExpiresAt": out.OldKeyExpiresAt, "gracePeriodHours": hours}
	var b strings.Builder
	if hours == 0 {
		b.WriteString("The admin API key was rotated with no grace period: the previous key, which this server is still using, stopped working at once, so every other InsForge tool now fails with 401 until connect-project is called with the new key.")
	} else {
		fmt.Fprintf(&b, "The admin API key was rotated. The previous key, which this server is still using, keeps working until %s (%d hours).", out.OldKeyExpiresAt, hours)
	}
	if in.Reveal {
		data["apiKey"] = out.APIKey
		b.WriteString(" The new key is in the data below because reveal was requested: hand it to the user, do not write it into files, code or commits.")
	} else {
		b.WriteString(" The new key is not shown here: the user can read it in the InsForge dashboard (project settings, API keys).")
	}
	if hours == 0 {
		b.WriteString(" Call connect-project with the new key now, and update every other place that uses the admin key.")
	} else {
		b.WriteString(" Before the old key expires, call connect-project with the new key (and update any other place that uses the admin key), or the InsForge tools will stop working.")
	}
	return tools.Found(b.String(), data), nil
}

func rotateAnonKey(ctx context.Context, env *tools.Env, in RotateAnonKeyInput) (*tools.Result, error) {
	hours, err := gracePeriod(in.GracePeriodHours, 168, 720)
	if err != nil {
		return nil, err
	}
	out, _, err := insforge.Call[struct {
		AnonKey         string `json:"anonKey"`
		OldKeyExpiresAt string `json:"oldKeyExpiresAt"`
	}](ctx, env.Client, insforge.Request{Method: http.MethodPost, Path: "/api/secrets/anon-key/rotate", Body: map[string]any{"gracePeriodHours": hours}})
	if err != nil {
		return nil, err
	}
	summary := fmt.Sprintf("The anon key was rotated; the old one keeps working until %s (%d hours). "+
		"The new anon key is public and safe for app code: put it in each app's environment (for example VITE_INSFORGE_ANON_KEY or NEXT_PUBLIC_INSFORGE_ANON_KEY, and the hosting's env vars) and redeploy before then.",
		out.OldKeyExpiresAt, hours)
	return tools.Found(summary, map[string]any{"anonKey": out.AnonKey, "oldKeyExpiresAt": out.OldKeyExpiresAt, "gracePeriodHours": hours}), nil
}
