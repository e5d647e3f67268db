package catalogue_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"testing"
)

// portableKeywords is the part of JSON Schema that single-type dialects
// (the OpenAPI subset of Gemini's function declarations, OpenAI's strict
// mode) and the MCP Inspector's strict check all accept.
var portableKeywords = map[string]bool{
	"type": true, "description": true, "title": true, "default": true,
	"properties": true, "required": true, "additionalProperties": true, "items": true,
	"enum": true, "format": true, "pattern": true, "minLength": true, "maxLength": true,
	"minimum": true, "maximum": true, "minItems": true, "maxItems": true,
}

var singleTypes = []string{"string", "number", "integer", "boolean", "object", "array"}

// unportable lists what in schema a single-type dialect refuses or drops:
// a type list (["string","null"]), a schema without a type (it constrains
// nothing: the Inspector's "untyped-schema"), a bare true or false where a
// schema is expected, keywords outside portableKeywords (anyOf, oneOf,
// $ref, const, nullable …), an array without items, an enum on anything
// but a string, and a required name that is not a property.
func unportable(schema any, path string) []string {
	node, ok := schema.(map[string]any)
	if !ok {
		return []string{fmt.Sprintf("%s: %v where a schema object is expected", path, schema)}
	}
	var out []string
	keys := make([]string, 0, len(node))
	for k := range node {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !portableKeywords[k] {
			out = append(out, fmt.Sprintf("%s: keyword %s is not in the portable subset", path, k))
		}
	}
	typ, isString := node["type"].(string)
	switch {
	case node["type"] == nil:
		out = append(out, fmt.Sprintf("%s: no type (accepts any value)", path))
	case !isString:
		out = append(out, fmt.Sprintf("%s: type %v is not a single type", path, node["type"]))
	case !slices.Contains(singleTypes, typ):
		out = append(out, fmt.Sprintf("%s: type %q", path, typ))
	}
	if enum, ok := node["enum"].([]any); ok {
		for _, v := range enum {
			if _, ok := v.(string); !ok || typ != "string" {
				out = append(out, fmt.Sprintf("%s: enum value %v on type %q (only strings are portable)", path, v, typ))
			}
		}
	}
	props, _ := node["properties"].(map[string]any)
	names := make([]string, 0, len(props))
	for name := range props {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		out = append(out, unportable(props[name], path+".properties."+name)...)
	}
	if req, ok := node["required"].([]any); ok {
		for _, r := range req {
			if _, ok := props[fmt.Sprint(r)]; !ok {
				out = append(out, fmt.Sprintf("%s: required %v is not a property", path, r))
			}
		}
	}
	if items, ok := node["items"]; ok {
		out = append(out, unportable(items, path+".items")...)
	} else if typ == "array" {
		out = append(out, fmt.Sprintf("%s: an array without items", path))
	}
	if ap, ok := node["additionalProperties"]; ok {
		if _, isBool := ap.(bool); !isBool {
			out = append(out, unportable(ap, path+".additionalProperties")...)
		}
	}
	return out
}

// TestSchemasArePortable walks every tool's input schema, listed or not,
// and fails on anything a single-type dialect or the Inspector's strict
// check would refuse.
func TestSchemasArePortable(t *testing.T) {
	for _, tool := range everyTool(t) {
		var schema any
		if err := json.Unmarshal(tool.Schema(), &schema); err != nil {
			t.Fatalf("%s: %v", tool.Name, err)
		}
		for _, problem := range unportable(schema, "inputSchema") {
			t.Errorf("%s: %s", tool.Name, problem)
		}
	}
}

// TestPortabilityCheckFindsEachConstruct keeps the walker honest: each
// construct it must refuse, nested where the catalogue nests them.
func TestPortabilityCheckFindsEachConstruct(t *testing.T) {
	for name, bad := range map[string]string{
		"type list":           `{"type":"object","properties":{"p":{"type":"object","properties":{"a":{"type":["string","null"]}}}}}`,
		"untyped property":    `{"type":"object","properties":{"body":{"description":"Any JSON value."}}}`,
		"untyped items":       `{"type":"object","properties":{"params":{"type":"array","items":{"description":"x"}}}}`,
		"boolean items":       `{"type":"object","properties":{"params":{"type":"array","items":true}}}`,
		"anyOf":               `{"type":"object","properties":{"a":{"anyOf":[{"type":"string"},{"type":"null"}]}}}`,
		"nullable":            `{"type":"object","properties":{"a":{"type":"string","nullable":true}}}`,
		"null type":           `{"type":"object","properties":{"a":{"type":"null"}}}`,
		"ref":                 `{"type":"object","properties":{"a":{"$ref":"#/$defs/x"}}}`,
		"array without items": `{"type":"object","properties":{"a":{"type":"array"}}}`,
		"integer enum":        `{"type":"object","properties":{"a":{"type":"integer","enum":[1,2]}}}`,
		"map of untyped":      `{"type":"object","properties":{"m":{"type":"object","additionalProperties":{}}}}`,
		"required unknown":    `{"type":"object","properties":{},"required":["x"]}`,
	} {
		var schema any
		if err := json.Unmarshal([]byte(bad), &schema); err != nil {
			t.Fatal(err)
		}
		if len(unportable(schema, "inputSchema")) == 0 {
			t.Errorf("%s: not found in %s", name, bad)
		}
	}
	good := `{"type":"object","properties":{"m":{"type":"object","additionalProperties":{"type":"string"}},"l":{"type":"array","items":{"type":"string"}},"e":{"type":"string","enum":["a"]}},"required":["m"]}`
	var schema any
	if err := json.Unmarshal([]byte(good), &schema); err != nil {
		t.Fatal(err)
	}
	if p := unportable(schema, "inputSchema"); len(p) > 0 {
		t.Errorf("a portable schema was refused: %v", p)
	}
}
