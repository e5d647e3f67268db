package tools

import (
	"encoding/json"
	"errors"
	"net/url"
	"path"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// decodeTarget decodes arguments for one real tool with its input type.
type decodeTarget struct {
	name   string
	decode func(args json.RawMessage, t Tool) error
}

func target[In any](name string) decodeTarget {
	return decodeTarget{name: name, decode: func(args json.RawMessage, t Tool) error {
		if _, _, params, _ := schemaFor(reflect.TypeFor[In]()); !slices.Equal(params, t.Params()) {
			return errTargetStale
		}
		_, err := decodeArgs[In](args, t)
		return err
	}}
}

var errTargetStale = errors.New("the fuzz target's input type no longer matches the tool")

// decodeTargets cover the shapes of tool arguments: none, optional enum,
// required strings with minLength, arrays of objects, nested objects,
// numbers, booleans, free-form values and the connect gate's own apiKey.
var decodeTargets = []decodeTarget{
	target[ConnectProjectInput]("connect-project"),
	target[DisconnectProjectInput]("disconnect-project"),
	target[BackendMetadataInput]("get-backend-metadata"),
	target[TableSchemaInput]("get-table-schema"),
	target[NoInput]("get-anon-key"),
	target[RawSQLInput]("run-raw-sql"),
	target[SchemaInput]("list-tables"),
	target[CreateTableInput]("create-table"),
	target[QueryRecordsInput]("query-records"),
	target[BulkUpsertInput]("bulk-upsert"),
	target[UploadObjectInput]("upload-object"),
	target[DeleteObjectsInput]("delete-objects"),
	target[CreateFunctionInput]("create-function"),
	target[CreateScheduleInput]("create-schedule"),
	target[CreateDeploymentInput]("create-deployment"),
}

func fuzzTools(t testing.TB) []Tool {
	byName := map[string]Tool{}
	for _, tool := range All() {
		byName[tool.Name] = tool
	}
	out := make([]Tool, len(decodeTargets))
	for i, d := range decodeTargets {
		tool, ok := byName[d.name]
		if !ok {
			t.Fatalf("fuzz target %s: no such tool any more; update decodeTargets", d.name)
		}
		if err := d.decode(json.RawMessage(`{}`), tool); errors.Is(err, errTargetStale) {
			t.Fatalf("fuzz target %s: %v; update decodeTargets", d.name, err)
		}
		out[i] = tool
	}
	return out
}

// FuzzDecodeArgs feeds arbitrary bytes as the arguments of real tools:
// decoding never panics, every failure is a *UserError (a message for the
// agent, never an internal error), unknown or missing required arguments
// are always refused, and an error never echoes the apiKey argument.
func FuzzDecodeArgs(f *testing.F) {
	for _, seed := range []string{
		``, `null`, `{}`, `[]`, `"x"`, `1`, `{"`,
		`{"projectUrl":"https://p.us-east.insforge.app","apiKey":"ik_0123456789abcdef0123"}`,
		`{"apiKey":"ik_secretsecretsecret","bogus":true}`,
		`{"section":"database"}`, `{"section":"nope"}`, `{"section":7}`,
		`{"tableName":""}`, `{"tableName":null}`, `{"tableName":"todos","schema":"public"}`,
		`{"query":"SELECT $1","params":[1,"a",null,{"x":[1]}]}`,
		`{"tableName":"t","columns":[{"columnName":"a","type":"string","isNullable":true}]}`,
		`{"tableName":"t","columns":{"a":1}}`,
		`{"table":"t","limit":1e400}`, `{"table":"t","limit":-1,"offset":1.5}`,
		`{"table":"t","filters":{"id":"eq.1"},"order":"id.desc"}`,
		`{"bucket":"b","key":"../x","content":"hi"}`,
		`{"bucket":"b","keys":["a","b"]}`, `{"bucket":"b","keys":"a"}`,
		`{"name":"f","code":"export default async function(){}"}`,
		`{"name":"s","cronSchedule":"* * * * *","functionUrl":"http://x","httpMethod":"POST","headers":{"a":"b"}}`,
		`{"sourceDirectory":"/tmp/site","envVars":[{"key":"A","value":"B"}],"wait":true}`,
		`{"a":1,"a":2}`, `{"tableName":"x"} trailing`, "{\"tableName\":\"\xff\xfe\"}",
		`{"tableName":"` + strings.Repeat("a", 5000) + `"}`,
		strings.Repeat(`[`, 10000),
	} {
		f.Add([]byte(seed))
	}
	tools := fuzzTools(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		var obj map[string]json.RawMessage
		isObject := json.Unmarshal(data, &obj) == nil && obj != nil
		for i, d := range decodeTargets {
			tool := tools[i]
			err := d.decode(json.RawMessage(data), tool)
			if err == nil {
				if !isObject && !isEmptyArgs(data) {
					t.Fatalf("%s accepted arguments that are not a JSON object: %q", tool.Name, data)
				}
				for k := range obj {
					if !slices.Contains(tool.Params(), k) && !slices.Contains(ignoredArgs, k) {
						t.Fatalf("%s accepted the unknown argument %q", tool.Name, k)
					}
				}
				for _, r := range tool.Required() {
					if v, ok := obj[r]; !ok || string(v) == "null" {
						t.Fatalf("%s accepted arguments without the required %q: %q", tool.Name, r, data)
					}
				}
				continue
			}
			if errors.Is(err, errTargetStale) {
				t.Fatalf("%s: %v", tool.Name, err)
			}
			var ue *UserError
			if !errors.As(err, &ue) {
				t.Fatalf("%s: decoding failed with %T, not a *UserError: %v", tool.Name, err, err)
			}
			if strings.TrimSpace(err.Error()) == "" {
				t.Fatalf("%s: empty error message", tool.Name)
			}
			if secret := secretArg(obj); secret != "" && strings.Contains(err.Error(), secret) {
				t.Fatalf("%s: the error echoes the apiKey argument: %s", tool.Name, err)
			}
		}
	})
}

func isEmptyArgs(data []byte) bool {
	s := strings.TrimSpace(string(data))
	return s == "" || s == "null"
}

// secretArg is the apiKey argument when it is distinctive enough to look
// for: a key-like string that appears nowhere else in the arguments (an
// error may legitimately quote another argument's name or value).
func secretArg(obj map[string]json.RawMessage) string {
	var key string
	if json.Unmarshal(obj["apiKey"], &key) != nil || len(key) < 12 || !strings.HasPrefix(key, "ik_") {
		return ""
	}
	for k, v := range obj {
		if k == "apiKey" {
			continue
		}
		if strings.Contains(k, key) || strings.Contains(string(v), key) {
			return ""
		}
	}
	return key
}

// FuzzObjectKey checks the storage key validation and escaping used by the
// storage tools (upload, download, delete, URLs): an accepted key cannot
// climb out of its bucket's objects/ route, cannot add a query or fragment,
// and reaches the backend unchanged after URL decoding.
func FuzzObjectKey(f *testing.F) {
	for _, seed := range []string{
		"avatars/42/photo.png", "", "/abs", "..", "a/../b", "a/..", "./a", "a//b", "a/./b",
		"%2e%2e/x", "a?b=c", "a#frag", "a b/ü/😀", "a\x00b", "a\\..\\b", "\xff\xfe", "%", "a/%2F/b",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, key string) {
		err := storageCheckKey(key, "key")
		if err != nil {
			var ue *UserError
			if !errors.As(err, &ue) {
				t.Fatalf("storageCheckKey(%q) failed with %T, not a *UserError", key, err)
			}
			return
		}
		if key == "" || strings.HasPrefix(key, "/") || strings.Contains(key, "..") {
			t.Fatalf("storageCheckKey accepted %q", key)
		}
		const base = "/api/storage/buckets/b/objects/"
		escaped := storageEscapeKey(key)
		if strings.ContainsAny(escaped, "?#") {
			t.Fatalf("escaped key %q of %q would change the query or fragment", escaped, key)
		}
		u, err := url.Parse("https://p.insforge.app" + base + escaped)
		if err != nil {
			t.Fatalf("escaped key %q of %q is not a valid URL path: %v", escaped, key, err)
		}
		if u.Path != base+key {
			t.Fatalf("key %q reaches the backend as %q", key, u.Path)
		}
		if clean := path.Clean(u.Path); !strings.HasPrefix(clean+"/", base) {
			t.Fatalf("key %q climbs out of the objects route: %q", key, clean)
		}
	})
}

// FuzzDeployPath checks the deployment manifest path rule and the
// containment check of the folder walk: an accepted manifest path is a
// clean, local, relative path, and a target counts as inside the source
// folder exactly when it is that folder or below it.
func FuzzDeployPath(f *testing.F) {
	for _, seed := range []string{
		"index.html", "assets/app.js", "", ".", "..", "../x", "a/../b", "a//b", "/etc/passwd", "a\\b",
		"a\x00b", "./a", "a/.", "dir/", strings.Repeat("a/", 300), "site2/x", "ü/😀.txt",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, p string) {
		const maxLen = 1024
		if why := deployPathProblem(p, maxLen); why == "" {
			if !filepath.IsLocal(p) || path.Clean(p) != p || len(p) > maxLen || strings.ContainsAny(p, "\\\x00") {
				t.Fatalf("deployPathProblem accepted %q", p)
			}
		} else if p != "." && filepath.IsLocal(p) && path.Clean(p) == p && len(p) <= maxLen && !strings.ContainsAny(p, "\\\x00") && p != "" {
			t.Fatalf("deployPathProblem refused the clean local path %q: %s", p, why)
		}

		const root = "/srv/site"
		target := filepath.Clean("/" + p)
		want := target == root || strings.HasPrefix(target, root+"/")
		if got := deployInside(root, target); got != want {
			t.Fatalf("deployInside(%q, %q) = %v, want %v", root, target, got, want)
		}
	})
}
