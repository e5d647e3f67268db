package catalogue_test

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/insforge-mcp/insforge-mcp/tools"
	"github.com/insforge-mcp/insforge-mcp/tools/catalogue"
)

// fuzzTargets cover the shapes of tool arguments: none, optional enum,
// required strings with minLength, arrays of objects, nested objects,
// numbers, booleans, free-form values and the connect gate's own apiKey.
var fuzzTargets = []string{
	"connect-project", "disconnect-project", "get-backend-metadata", "get-table-schema",
	"get-anon-key", "run-raw-sql", "list-tables", "create-table", "query-records",
	"bulk-upsert", "upload-object", "delete-objects", "create-function",
	"create-schedule", "create-deployment",
}

func fuzzTools(t testing.TB) []tools.Tool {
	byName := map[string]tools.Tool{}
	for _, tool := range catalogue.All() {
		byName[tool.Name] = tool
	}
	var out []tools.Tool
	for _, name := range fuzzTargets {
		tool, ok := byName[name]
		if !ok {
			t.Fatalf("fuzz target %s: no such tool any more; update fuzzTargets", name)
		}
		out = append(out, tool)
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
	targets := fuzzTools(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		var obj map[string]json.RawMessage
		isObject := json.Unmarshal(data, &obj) == nil && obj != nil
		for _, tool := range targets {
			_, err := tool.Decode(json.RawMessage(data))
			if err == nil {
				if !isObject && !isEmptyArgs(data) {
					t.Fatalf("%s accepted arguments that are not a JSON object: %q", tool.Name, data)
				}
				for k := range obj {
					if !slices.Contains(tool.Params(), k) && k != "apiKey" {
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
			var ue *tools.UserError
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
