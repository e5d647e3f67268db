package tools

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/invopop/jsonschema"
	orderedmap "github.com/pb33f/ordered-map/v2"
)

// TestSchemaJSONMatchesEncodingJSON: the fast schema encoder writes exactly
// what json.Marshal writes, for every tool of the catalogue.
func TestSchemaJSONMatchesEncodingJSON(t *testing.T) {
	for _, tool := range All() {
		want, err := json.Marshal(reflectSchema(tool.input))
		if err != nil {
			t.Fatalf("%s: %v", tool.Name, err)
		}
		if !bytes.Equal(tool.Schema(), want) {
			t.Errorf("%s: schemaJSON differs from json.Marshal\n got: %s\nwant: %s", tool.Name, tool.Schema(), want)
		}
	}
}

// TestSchemaJSONEveryField covers what the catalogue does not use today:
// every field of jsonschema.Schema, extras, boolean and empty schemas, and
// strings that need escaping.
func TestSchemaJSONEveryField(t *testing.T) {
	u := func(v uint64) *uint64 { return &v }
	tricky := "a<b>&c \"q\" \\ \n\r\t\b\f \x01 \u2028\u2029 é \xff end"
	props := jsonschema.NewProperties()
	props.Set("b<", &jsonschema.Schema{Type: "string", Description: tricky})
	props.Set("a", jsonschema.TrueSchema)
	props.Set("nil", nil)
	props.Set("empty", &jsonschema.Schema{})
	full := &jsonschema.Schema{
		Version: "https://json-schema.org/draft/2020-12/schema", ID: "https://x/y", Anchor: "a", Ref: "#/r", DynamicRef: "#d",
		Definitions: jsonschema.Definitions{"z": {Type: "string"}, "a": {Type: "integer"}},
		Comments:    tricky,
		AllOf:       []*jsonschema.Schema{{Type: "string"}, nil},
		AnyOf:       []*jsonschema.Schema{{Type: "null"}},
		OneOf:       []*jsonschema.Schema{jsonschema.FalseSchema},
		Not:         &jsonschema.Schema{Type: "array"},
		If:          &jsonschema.Schema{Required: []string{"x"}}, Then: &jsonschema.Schema{MinLength: u(1)}, Else: &jsonschema.Schema{MaxLength: u(2)},
		DependentSchemas: map[string]*jsonschema.Schema{"k": {Type: "object"}},
		PrefixItems:      []*jsonschema.Schema{{Type: "number"}},
		Items:            &jsonschema.Schema{Type: "string", Enum: []any{"x<y", 1, true, nil}},
		Contains:         &jsonschema.Schema{Const: "c&"},
		Properties:       props,
		PatternProperties: map[string]*jsonschema.Schema{
			"^a": {Type: "string"},
		},
		AdditionalProperties: jsonschema.FalseSchema,
		PropertyNames:        &jsonschema.Schema{Pattern: "^[a-z]+$"},
		Type:                 "object",
		Enum:                 []any{map[string]any{"b": 1, "a": []any{"<"}}},
		Const:                map[string]any{"k": 1.5},
		MultipleOf:           "2", Maximum: "10", ExclusiveMaximum: "11", Minimum: "-1.5", ExclusiveMinimum: "-2",
		MaxLength: u(9), MinLength: u(0), Pattern: `\d+<`, MaxItems: u(3), MinItems: u(1), UniqueItems: true,
		MaxContains: u(4), MinContains: u(2), MaxProperties: u(8), MinProperties: u(0),
		Required:          []string{"a", "b<"},
		DependentRequired: map[string][]string{"a": {"b"}},
		Format:            "uri", ContentEncoding: "base64", ContentMediaType: "text/plain",
		ContentSchema: &jsonschema.Schema{Type: "string"},
		Title:         "T&", Description: tricky, Default: []any{1, "<"},
		Deprecated: true, ReadOnly: true, WriteOnly: true,
		Examples: []any{"e", 2},
		Extras:   map[string]any{"x-b": "<", "x-a": 1},
	}
	cases := map[string]*jsonschema.Schema{
		"full":             full,
		"empty":            {},
		"true":             jsonschema.TrueSchema,
		"false":            jsonschema.FalseSchema,
		"only extras":      {Extras: map[string]any{"x": 1}},
		"empty extras":     {Extras: map[string]any{}},
		"empty required":   {Required: []string{}},
		"empty properties": {Type: "object", Properties: jsonschema.NewProperties()},
		"nil-list map":     {Properties: new(orderedmap.OrderedMap[string, *jsonschema.Schema])},
		"description only": {Description: tricky},
	}
	for name, s := range cases {
		want, err := json.Marshal(s)
		if err != nil {
			t.Fatalf("%s: json.Marshal: %v", name, err)
		}
		got, err := schemaJSON(s)
		if err != nil {
			t.Fatalf("%s: schemaJSON: %v", name, err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s:\n got: %s\nwant: %s", name, got, want)
		}
	}
	if _, err := schemaJSON(&jsonschema.Schema{Maximum: "not a number"}); err == nil {
		t.Error("an invalid json.Number was encoded")
	}
}

// BenchmarkSchemaGeneration compares the two encoders on the whole
// catalogue and measures the complete derivation (reflection included).
func BenchmarkSchemaGeneration(b *testing.B) {
	all := All()
	schemas := make([]*jsonschema.Schema, len(all))
	for i, tool := range all {
		schemas[i] = reflectSchema(tool.input)
	}
	b.Run("encode/encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			for _, s := range schemas {
				if _, err := json.Marshal(s); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	b.Run("encode/schemaJSON", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			for _, s := range schemas {
				if _, err := schemaJSON(s); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	b.Run("reflect", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			for _, tool := range all {
				_ = reflectSchema(tool.input)
			}
		}
	})
	b.Run("schemaFor", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			for _, tool := range all {
				_, _, _, _ = schemaFor(tool.input)
			}
		}
	})
}
