package tools

import (
	"encoding/json"
	"reflect"
	"strconv"
	"unicode/utf8"

	"github.com/invopop/jsonschema"
	orderedmap "github.com/pb33f/ordered-map/v2"
)

// schemaJSON encodes a reflected schema to exactly the bytes that
// json.Marshal(s) produces (invopop's Schema.MarshalJSON), several times
// faster: encoding/json walks the ~55 fields of every nested Schema by
// reflection, calls MarshalJSON again for each property of the ordered map,
// and re-validates and compacts every nested result. Schema generation for
// the whole catalogue runs at every server start, so this is on the path
// to the first initialize answer (see BenchmarkSchemaGeneration).
//
// The fields are written in the struct's order with the struct's omitempty
// rules; rare values (enum, default, examples, extras, maps) still go
// through json.Marshal. TestSchemaJSONMatchesEncodingJSON compares the
// output with json.Marshal for every tool and for hand-made schemas that
// set every field.
func schemaJSON(s *jsonschema.Schema) ([]byte, error) {
	return appendSchema(make([]byte, 0, 512), s)
}

// booleanField is the index of Schema's unexported boolean field (set on
// TrueSchema and FalseSchema), or -1.
var booleanField = func() int {
	f, ok := reflect.TypeFor[jsonschema.Schema]().FieldByName("boolean")
	if !ok || f.Type.Kind() != reflect.Pointer {
		return -1
	}
	return f.Index[0]
}()

func appendSchema(dst []byte, s *jsonschema.Schema) ([]byte, error) {
	if s == nil {
		return append(dst, "null"...), nil
	}
	v := reflect.ValueOf(s).Elem()
	if booleanField < 0 || !v.Field(booleanField).IsNil() {
		// true/false schemas (or an unknown layout): the library's encoder.
		b, err := json.Marshal(s)
		return append(dst, b...), err
	}
	if s.Type == "" && s.Description == "" && v.IsZero() { // (the common fields first: IsZero walks them all)
		return append(dst, "true"...), nil // as Schema.MarshalJSON does
	}
	w := &objectWriter{dst: append(dst, '{')}
	w.str("$schema", s.Version)
	w.str("$id", string(s.ID))
	w.str("$anchor", s.Anchor)
	w.str("$ref", s.Ref)
	w.str("$dynamicRef", s.DynamicRef)
	if len(s.Definitions) > 0 {
		w.value("$defs", s.Definitions)
	}
	w.str("$comment", s.Comments)
	w.schemas("allOf", s.AllOf)
	w.schemas("anyOf", s.AnyOf)
	w.schemas("oneOf", s.OneOf)
	w.schema("not", s.Not)
	w.schema("if", s.If)
	w.schema("then", s.Then)
	w.schema("else", s.Else)
	if len(s.DependentSchemas) > 0 {
		w.value("dependentSchemas", s.DependentSchemas)
	}
	w.schemas("prefixItems", s.PrefixItems)
	w.schema("items", s.Items)
	w.schema("contains", s.Contains)
	if s.Properties != nil {
		w.properties(s.Properties)
	}
	if len(s.PatternProperties) > 0 {
		w.value("patternProperties", s.PatternProperties)
	}
	w.schema("additionalProperties", s.AdditionalProperties)
	w.schema("propertyNames", s.PropertyNames)
	w.str("type", s.Type)
	if len(s.Enum) > 0 {
		w.value("enum", s.Enum)
	}
	if s.Const != nil {
		w.value("const", s.Const)
	}
	w.number("multipleOf", s.MultipleOf)
	w.number("maximum", s.Maximum)
	w.number("exclusiveMaximum", s.ExclusiveMaximum)
	w.number("minimum", s.Minimum)
	w.number("exclusiveMinimum", s.ExclusiveMinimum)
	w.uint("maxLength", s.MaxLength)
	w.uint("minLength", s.MinLength)
	w.str("pattern", s.Pattern)
	w.uint("maxItems", s.MaxItems)
	w.uint("minItems", s.MinItems)
	w.bool("uniqueItems", s.UniqueItems)
	w.uint("maxContains", s.MaxContains)
	w.uint("minContains", s.MinContains)
	w.uint("maxProperties", s.MaxProperties)
	w.uint("minProperties", s.MinProperties)
	if len(s.Required) > 0 {
		w.key("required")
		w.dst = append(w.dst, '[')
		for i, r := range s.Required {
			if i > 0 {
				w.dst = append(w.dst, ',')
			}
			w.dst = appendJSONString(w.dst, r)
		}
		w.dst = append(w.dst, ']')
	}
	if len(s.DependentRequired) > 0 {
		w.value("dependentRequired", s.DependentRequired)
	}
	w.str("format", s.Format)
	w.str("contentEncoding", s.ContentEncoding)
	w.str("contentMediaType", s.ContentMediaType)
	w.schema("contentSchema", s.ContentSchema)
	w.str("title", s.Title)
	w.str("description", s.Description)
	if s.Default != nil {
		w.value("default", s.Default)
	}
	w.bool("deprecated", s.Deprecated)
	w.bool("readOnly", s.ReadOnly)
	w.bool("writeOnly", s.WriteOnly)
	if len(s.Examples) > 0 {
		w.value("examples", s.Examples)
	}
	if w.err != nil {
		return nil, w.err
	}
	w.dst = append(w.dst, '}')
	if len(s.Extras) == 0 {
		return w.dst, nil
	}
	// Extras are merged into the object, as Schema.MarshalJSON does.
	m, err := json.Marshal(s.Extras)
	if err != nil {
		return nil, err
	}
	obj := w.dst[len(dst):]
	if len(obj) == 2 {
		return append(w.dst[:len(dst)], m...), nil
	}
	w.dst[len(w.dst)-1] = ','
	return append(w.dst, m[1:]...), nil
}

// objectWriter appends the members of one JSON object.
type objectWriter struct {
	dst   []byte
	first bool // a member was written
	err   error
}

func (w *objectWriter) key(k string) {
	if w.first {
		w.dst = append(w.dst, ',')
	}
	w.first = true
	w.dst = appendJSONString(w.dst, k)
	w.dst = append(w.dst, ':')
}

func (w *objectWriter) str(k, v string) {
	if v == "" {
		return
	}
	w.key(k)
	w.dst = appendJSONString(w.dst, v)
}

func (w *objectWriter) bool(k string, v bool) {
	if !v {
		return
	}
	w.key(k)
	w.dst = append(w.dst, "true"...)
}

func (w *objectWriter) uint(k string, v *uint64) {
	if v == nil {
		return
	}
	w.key(k)
	w.dst = strconv.AppendUint(w.dst, *v, 10)
}

func (w *objectWriter) number(k string, v json.Number) {
	if v == "" {
		return
	}
	w.value(k, v) // json.Marshal validates the number
}

func (w *objectWriter) value(k string, v any) {
	if w.err != nil {
		return
	}
	b, err := json.Marshal(v)
	if err != nil {
		w.err = err
		return
	}
	w.key(k)
	w.dst = append(w.dst, b...)
}

func (w *objectWriter) schema(k string, s *jsonschema.Schema) {
	if s == nil || w.err != nil {
		return
	}
	w.key(k)
	w.dst, w.err = appendSchema(w.dst, s)
}

func (w *objectWriter) schemas(k string, list []*jsonschema.Schema) {
	if len(list) == 0 || w.err != nil {
		return
	}
	w.key(k)
	w.dst = append(w.dst, '[')
	for i, s := range list {
		if i > 0 {
			w.dst = append(w.dst, ',')
		}
		if w.dst, w.err = appendSchema(w.dst, s); w.err != nil {
			return
		}
	}
	w.dst = append(w.dst, ']')
}

func (w *objectWriter) properties(p *orderedmap.OrderedMap[string, *jsonschema.Schema]) {
	if w.err != nil {
		return
	}
	if p.Len() == 0 {
		// An empty map encodes as {} (or null when never initialised):
		// the map's own encoder knows which.
		w.value("properties", p)
		return
	}
	w.key("properties")
	w.dst = append(w.dst, '{')
	for pair, i := p.Oldest(), 0; pair != nil; pair, i = pair.Next(), i+1 {
		if i > 0 {
			w.dst = append(w.dst, ',')
		}
		w.dst = appendJSONString(w.dst, pair.Key)
		w.dst = append(w.dst, ':')
		if w.dst, w.err = appendSchema(w.dst, pair.Value); w.err != nil {
			return
		}
	}
	w.dst = append(w.dst, '}')
}

// appendJSONString quotes s as json.Marshal does (HTML-safe escaping,
// invalid UTF-8 as U+FFFD, U+2028 and U+2029 escaped).
func appendJSONString(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		if b := s[i]; b < utf8.RuneSelf {
			if b >= 0x20 && b != '"' && b != '\\' && b != '<' && b != '>' && b != '&' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '\\', '"':
				dst = append(dst, '\\', b)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hex[b>>4], hex[b&0xF])
			}
			i++
			start = i
			continue
		}
		c, size := utf8.DecodeRuneInString(s[i:])
		if c == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if c == '\u2028' || c == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hex[c&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
