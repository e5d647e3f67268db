// Package tools declares every MCP tool of insforge-mcp.
//
// A tool is declared once, with Define: its name, toolset, title,
// description, the four behaviour hints, whether it needs a connected
// project, a Go input struct (from which the JSON schema is derived) and a
// handler in plain Go. The MCP wiring (package mcpserver), the README table,
// read-only filtering and the schema snapshots all derive from that
// declaration. Adding a tool means adding a Define call to the file of its
// toolset and a test.
package tools

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/invopop/jsonschema"
)

// Hint is a tri-state so that a forgotten annotation is detectable: the zero
// value is "unset", which Define rejects.
type Hint uint8

// Hint values.
const (
	unset Hint = iota
	Yes
	No
)

// Bool reports whether the hint is Yes.
func (h Hint) Bool() bool { return h == Yes }

// Hints are the four MCP tool annotations. All four must be set.
type Hints struct {
	ReadOnly    Hint // does not modify its environment
	Destructive Hint // may delete or overwrite (meaningful when not read-only)
	Idempotent  Hint // repeating the call with the same arguments has no further effect
	OpenWorld   Hint // talks to an external system (the InsForge backend)
}

// Common hint sets.
var (
	// Read: reads backend state.
	Read = Hints{ReadOnly: Yes, Destructive: No, Idempotent: Yes, OpenWorld: Yes}
	// Create: adds something new; repeating it adds again or conflicts.
	Create = Hints{ReadOnly: No, Destructive: No, Idempotent: No, OpenWorld: Yes}
	// Change: overwrites state in place; repeating it is harmless.
	Change = Hints{ReadOnly: No, Destructive: Yes, Idempotent: Yes, OpenWorld: Yes}
	// Overwrite: may change or delete state; repeating it acts again
	// (SQL, loads, key rotations, builds).
	Overwrite = Hints{ReadOnly: No, Destructive: Yes, Idempotent: No, OpenWorld: Yes}
	// Remove: deletes; repeating it has no further effect.
	Remove = Hints{ReadOnly: No, Destructive: Yes, Idempotent: Yes, OpenWorld: Yes}
)

func (h Hints) complete() bool {
	return h.ReadOnly != unset && h.Destructive != unset && h.Idempotent != unset && h.OpenWorld != unset
}

// Access says what a tool needs before it can run.
type Access uint8

const (
	// Connected tools need a project URL and admin key (from configuration,
	// request headers or connect-project).
	Connected Access = iota
	// Open tools run without credentials (the gate itself, embedded docs).
	Open
)

// Feature names an opt-in capability; tools that need one are left out
// unless the server was started with it.
type Feature string

// Features.
const (
	// UnrestrictedSQL enables run-unrestricted-sql (--allow-unrestricted-sql).
	UnrestrictedSQL Feature = "unrestricted-sql"
)

// Spec is everything about a tool except its input type and handler.
type Spec struct {
	Name        string
	Title       string
	Description string
	// Toolset is set by the catalogue, from where the tool is listed.
	Toolset Toolset
	Hints   Hints
	Access  Access
	// Feature, when set, keeps the tool out unless that feature is enabled.
	Feature Feature
	// EnforcesReadOnly marks a write-capable tool that stays available in
	// read-only mode because its handler refuses writes itself (run-raw-sql).
	EnforcesReadOnly bool
	// Discovery marks find-tools and call-tool: served only when the
	// surface has tools that tools/list does not show.
	Discovery bool
	// ReadOnlyNote is added to the description in read-only mode, for a
	// tool that behaves differently there (run-raw-sql); text about a mode
	// is paid for only when the mode is on.
	ReadOnlyNote string
}

// NoInput is the argument struct of tools that take none.
type NoInput struct{}

// Tool is a declared tool, ready to be served.
type Tool struct {
	Spec
	sig    *signature
	decode func(args json.RawMessage) (Args, error)
	run    func(ctx context.Context, env *Env, in Args) (*Result, error)
}

// signature is what a tool's input type says about its arguments. It is
// reflected on first use, not in Define: a server lists a few tools and
// reaches the rest by name, so reflecting all of them at startup would
// spend memory and time on schemas that most sessions never need. Copies
// of a Tool share one signature.
type signature struct {
	once     sync.Once
	in       reflect.Type
	schema   json.RawMessage
	required []string
	params   []string
	hidden   []string        // accepted but not advertised (deprecated names)
	rules    map[string]rule // top-level argument checks from the schema
}

// signature reflects the input type the first time it is asked for.
func (t Tool) signature() *signature {
	if t.sig == nil {
		return &signature{} // the zero Tool
	}
	t.sig.once.Do(func() {
		t.sig.schema, t.sig.required, t.sig.params, t.sig.rules = schemaFor(t.sig.in)
		t.sig.hidden = hiddenParams(t.sig.in)
	})
	return t.sig
}

// Args are a tool's decoded arguments: a value of its input type.
type Args struct{ v any }

// Value is the decoded input value.
func (a Args) Value() any { return a.v }

// rule is what decodeArgs checks of one top-level string argument.
type rule struct {
	enum      []string
	minLength int
	number    bool // an integer or number: "5" is taken as 5
}

// Schema is the tool's JSON input schema (a plain object schema).
func (t Tool) Schema() json.RawMessage { return t.signature().schema }

// Params lists the accepted argument names, sorted.
func (t Tool) Params() []string { return t.signature().params }

// Required lists the required argument names.
func (t Tool) Required() []string { return t.signature().required }

// Decode checks and decodes JSON arguments without running anything. Every
// failure is a *UserError that says what to fix.
func (t Tool) Decode(args json.RawMessage) (Args, error) { return t.decode(args) }

// Run runs the handler with arguments from Decode.
func (t Tool) Run(ctx context.Context, env *Env, in Args) (*Result, error) {
	return t.run(ctx, env, in)
}

// ignoredArgs are accepted from agents but never advertised, unless a tool
// declares them itself (connect-project): credentials come from the gate or
// configuration, never from an ordinary tool's arguments.
var ignoredArgs = []string{"apiKey"}

// Define declares a tool whose arguments decode into In. It panics on a
// declaration error (missing hint, bad schema): those are programming
// errors caught by the catalogue test. The schema is reflected from In on
// first use (see signature), so a bad one panics then; the catalogue test
// reflects every tool's.
func Define[In any](spec Spec, handler func(ctx context.Context, env *Env, in In) (*Result, error)) Tool {
	if !spec.Hints.complete() {
		panic(fmt.Sprintf("tool %s: all four hints must be set", spec.Name))
	}
	if spec.Name == "" || spec.Description == "" || spec.Title == "" {
		panic(fmt.Sprintf("tool %q: name, title and description are required", spec.Name))
	}
	t := Tool{Spec: spec, sig: &signature{in: reflect.TypeFor[In]()}}
	t.decode = func(args json.RawMessage) (Args, error) {
		var in In
		err := decodeArgs(args, t, &in)
		return Args{in}, err
	}
	t.run = func(ctx context.Context, env *Env, in Args) (*Result, error) {
		v, ok := in.v.(In)
		if !ok {
			return nil, fmt.Errorf("%s: arguments of type %T, want %T", spec.Name, in.v, v)
		}
		return handler(ctx, env, v)
	}
	return t
}

var reflector = jsonschema.Reflector{
	RequiredFromJSONSchemaTags: true,
	AllowAdditionalProperties:  true,
	DoNotReference:             true,
	ExpandedStruct:             true,
	Anonymous:                  true,
}

// reflectSchema reflects a JSON schema from a struct type and keeps it a
// plain object schema, as model providers require.
func reflectSchema(t reflect.Type) *jsonschema.Schema {
	s := reflector.ReflectFromType(t)
	s.Version = ""
	s.ID = ""
	s.Type = "object"
	if s.Properties == nil {
		s.Properties = jsonschema.NewProperties()
	}
	return s
}

// schemaFor derives a tool's schema, its argument names and its argument
// checks from its input struct.
func schemaFor(t reflect.Type) (json.RawMessage, []string, []string, map[string]rule) {
	s := reflectSchema(t)
	var params []string
	rules := map[string]rule{}
	for p := s.Properties.Oldest(); p != nil; p = p.Next() {
		params = append(params, p.Key)
		var r rule
		for _, e := range p.Value.Enum {
			if v, ok := e.(string); ok {
				r.enum = append(r.enum, v)
			}
		}
		if p.Value.MinLength != nil {
			r.minLength = int(*p.Value.MinLength)
		}
		r.number = p.Value.Type == "integer" || p.Value.Type == "number"
		if len(r.enum) > 0 || r.minLength > 0 || r.number {
			rules[p.Key] = r
		}
	}
	sort.Strings(params)
	data, err := json.Marshal(s)
	if err != nil {
		panic(fmt.Sprintf("schema for %s: %v", t, err))
	}
	return data, slices.Clone(s.Required), params, rules
}

// hiddenParams lists the JSON names of the input's fields tagged
// jsonschema:"-": still accepted (a deprecated name, for compatibility) but
// not advertised in the schema.
func hiddenParams(t reflect.Type) []string {
	if t.Kind() != reflect.Struct {
		return nil
	}
	var out []string
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Tag.Get("jsonschema") != "-" {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name != "" && name != "-" {
			out = append(out, name)
		}
	}
	return out
}

// decodeArgs decodes tool arguments strictly into in, a pointer to the
// tool's input value: unknown names (except the ignored ones) and missing
// required ones are errors the agent can fix. It is not generic on
// purpose: one copy serves every tool, where an instance per input type
// would add its code to the binary, and to every process's memory, once
// per tool.
func decodeArgs(args json.RawMessage, t Tool, in any) error {
	sig := t.signature()
	if len(bytes.TrimSpace(args)) == 0 || string(bytes.TrimSpace(args)) == "null" {
		args = json.RawMessage("{}")
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(args, &raw); err != nil {
		return Errorf("the arguments must be a JSON object with: %s", strings.Join(sig.params, ", "))
	}
	var unknown []string
	for k := range raw {
		if slices.Contains(ignoredArgs, k) && !slices.Contains(sig.params, k) || slices.Contains(sig.hidden, k) {
			continue
		}
		if !slices.Contains(sig.params, k) {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return Errorf("unknown argument %s; %s takes: %s", QuoteList(unknown), t.Name, paramList(sig.params))
	}
	var missing []string
	for _, r := range sig.required {
		if v, ok := raw[r]; !ok || string(v) == "null" {
			missing = append(missing, r)
		}
	}
	if len(missing) > 0 {
		return Errorf("missing required argument %s for %s", QuoteList(missing), t.Name)
	}
	numbers := false
	for name, r := range sig.rules {
		v, ok := raw[name]
		if !ok {
			continue
		}
		var s string
		if json.Unmarshal(v, &s) != nil {
			continue // a type error, reported by the decode below
		}
		if r.number {
			// Clients send numbers as strings ("limit": "5"): take them.
			if n := strings.TrimSpace(s); json.Valid([]byte(n)) && numberLike(n) {
				raw[name], numbers = json.RawMessage(n), true
			}
			continue
		}
		if len(r.enum) > 0 && !slices.Contains(r.enum, s) {
			return Errorf("%q is not a valid %s for %s; use one of: %s", s, name, t.Name, strings.Join(r.enum, ", "))
		}
		if n := utf8.RuneCountInString(s); n < r.minLength {
			if r.minLength == 1 {
				return Errorf("%s must not be empty", name)
			}
			return Errorf("%s must be at least %d characters (got %d)", name, r.minLength, n)
		}
	}
	if numbers {
		if data, err := json.Marshal(raw); err == nil {
			args = data
		}
	}
	// Ignored arguments need no removing: the input type has no field for
	// them, and decoding skips names it does not know.
	if err := json.Unmarshal(args, in); err != nil {
		return Errorf("invalid arguments for %s: %s", t.Name, describeJSONError(err))
	}
	return nil
}

// numberLike reports whether valid JSON s is a number literal.
func numberLike(s string) bool {
	return s != "" && (s[0] == '-' || s[0] >= '0' && s[0] <= '9')
}

func describeJSONError(err error) string {
	var te *json.UnmarshalTypeError
	if ok := asType(err, &te); ok {
		return fmt.Sprintf("%q must be %s, not %s", te.Field, jsonKind(te.Type), te.Value)
	}
	return err.Error()
}

func asType[T error](err error, target *T) bool {
	t, ok := err.(T)
	if ok {
		*target = t
	}
	return ok
}

func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int64, reflect.Int32, reflect.Float64, reflect.Float32, reflect.Uint, reflect.Uint64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Map, reflect.Struct:
		return "an object"
	}
	return t.String()
}

// QuoteList quotes each name and joins them with commas.
func QuoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return strings.Join(q, ", ")
}

func paramList(params []string) string {
	if len(params) == 0 {
		return "no arguments"
	}
	return strings.Join(params, ", ")
}
