package insforgetest

import (
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Expression evaluation and static typing of the raw SQL interpreter.

// env is the evaluation environment of an expression.
type env struct {
	tbl      *table
	ref      *tableRef
	row      map[string]any
	excluded map[string]any
	group    []map[string]any // rows of the current group (aggregates allowed)
	grouped  bool
}

var aggregates = map[string]bool{"count": true, "sum": true, "avg": true, "min": true, "max": true,
	"bool_and": true, "bool_or": true, "every": true, "string_agg": true, "array_agg": true, "json_agg": true, "jsonb_agg": true}

func (x *execCtx) colRef(c *colExpr, ev *env) (any, Column, *pgError) {
	if c.qual == "excluded" && ev.excluded != nil {
		col, _, ok := ev.tbl.col(c.name)
		if !ok {
			return nil, Column{}, &pgError{Code: "42703", Message: fmt.Sprintf("column excluded.%s does not exist", c.name)}
		}
		return ev.excluded[c.name], col, nil
	}
	if ev.tbl == nil {
		return nil, Column{}, &pgError{Code: "42703", Message: fmt.Sprintf("column %q does not exist", c.name)}
	}
	if c.qual != "" && c.qual != ev.tbl.name && (ev.ref == nil || (c.qual != ev.ref.alias && c.qual != ev.ref.name)) {
		return nil, Column{}, &pgError{Code: "42P01", Message: fmt.Sprintf("missing FROM-clause entry for table %q", c.qual)}
	}
	col, _, ok := ev.tbl.col(c.name)
	if !ok {
		name := c.name
		if c.qual != "" {
			name = c.qual + "." + c.name
		}
		return nil, Column{}, &pgError{Code: "42703", Message: fmt.Sprintf("column %q does not exist", name)}
	}
	if ev.row == nil {
		return nil, col, &pgError{Code: "42803", Message: fmt.Sprintf("column \"%s.%s\" must appear in the GROUP BY clause or be used in an aggregate function", ev.tbl.name, c.name)}
	}
	return ev.row[c.name], col, nil
}

// staticType returns the friendly column type of an expression if known.
func (x *execCtx) staticType(e expr, ev *env) string {
	switch v := e.(type) {
	case *colExpr:
		t := ev.tbl
		if t == nil {
			return ""
		}
		if c, _, ok := t.col(v.name); ok {
			return c.Type
		}
	case *castExpr:
		return friendlyOfPG(pgTypeOfSQL(v.typ))
	}
	return ""
}

func truthy(v any) bool { b, ok := v.(bool); return ok && b }

func (x *execCtx) eval(e expr, ev *env) (any, *pgError) {
	switch v := e.(type) {
	case *litExpr:
		if f, ok := v.v.(float64); ok && !v.decimal && math.Abs(f) >= 1<<53 && v.text != "" {
			return json.Number(v.text), nil // keep big integers exact for int8/numeric results
		}
		return v.v, nil
	case *paramExpr:
		if len(x.params) == 0 {
			return nil, &pgError{Code: "42P02", Message: fmt.Sprintf("there is no parameter $%d", v.n)}
		}
		if v.n > len(x.params) {
			return nil, &pgError{Code: "08P01", Message: fmt.Sprintf("bind message supplies %d parameters, but prepared statement \"\" requires %d", len(x.params), v.n)}
		}
		return normalizeJSON(x.params[v.n-1]), nil
	case *colExpr:
		val, _, err := x.colRef(v, ev)
		return val, err
	case *defaultExpr:
		return nil, &pgError{Code: "42601", Message: "DEFAULT is not allowed in this context"}
	case *arrayExpr:
		out := make([]any, len(v.elems))
		for i, el := range v.elems {
			val, err := x.eval(el, ev)
			if err != nil {
				return nil, err
			}
			out[i] = val
		}
		return out, nil
	case *caseExpr:
		var operand any
		if v.operand != nil {
			var err *pgError
			if operand, err = x.eval(v.operand, ev); err != nil {
				return nil, err
			}
		}
		for _, w := range v.whens {
			c, err := x.eval(w.cond, ev)
			if err != nil {
				return nil, err
			}
			hit := truthy(c)
			if v.operand != nil {
				hit = operand != nil && c != nil && valuesEqual(operand, c)
			}
			if hit {
				return x.eval(w.then, ev)
			}
		}
		if v.els != nil {
			return x.eval(v.els, ev)
		}
		return nil, nil
	case *castExpr:
		val, err := x.eval(v.e, ev)
		if err != nil {
			return nil, err
		}
		return castValue(val, v.typ)
	case *negExpr:
		val, err := x.eval(v.e, ev)
		if err != nil || val == nil {
			return nil, err
		}
		if iv, ok := val.(pgInterval); ok {
			return pgInterval{-iv.months, -iv.days, -iv.us}, nil
		}
		f, ok := toNumber(val)
		if !ok {
			return nil, &pgError{Code: "42883", Message: "operator does not exist: - " + jsonType(val)}
		}
		return -f, nil
	case *notExpr:
		val, err := x.eval(v.e, ev)
		if err != nil || val == nil {
			return nil, err
		}
		return !truthy(val), nil
	case *isExpr:
		val, err := x.eval(v.e, ev)
		if err != nil {
			return nil, err
		}
		var m bool
		switch v.what {
		case "null":
			m = val == nil
		case "true":
			m = val == true
		case "false":
			m = val == false
		}
		return m != v.not, nil
	case *inExpr:
		val, err := x.eval(v.e, ev)
		if err != nil {
			return nil, err
		}
		typ := x.staticType(v.e, ev)
		sawNull := false
		for _, le := range v.list {
			lv, err := x.eval(le, ev)
			if err != nil {
				return nil, err
			}
			if lv == nil || val == nil {
				sawNull = true
				continue
			}
			if typ != "" {
				if lv, err = coerce(typ, lv); err != nil {
					return nil, err
				}
			}
			if valuesEqual(val, lv) {
				return !v.not, nil
			}
		}
		if sawNull {
			return nil, nil
		}
		return v.not, nil
	case *betweenExpr:
		lo := &binExpr{op: ">=", l: v.e, r: v.lo}
		hi := &binExpr{op: "<=", l: v.e, r: v.hi}
		res, err := x.eval(&binExpr{op: "and", l: lo, r: hi}, ev)
		if err != nil || res == nil {
			return res, err
		}
		return truthy(res) != v.not, nil
	case *binExpr:
		return x.evalBin(v, ev)
	case *funcExpr:
		return x.evalFunc(v, ev)
	}
	return nil, &pgError{Code: "0A000", Message: "expression not supported"}
}

// castValue converts a value to a type as written in SQL.
func castValue(val any, typ string) (any, *pgError) {
	if val == nil {
		return nil, nil
	}
	pg := pgTypeOfSQL(typ)
	switch pg {
	case "json", "jsonb":
		if s, ok := val.(string); ok {
			var j any
			if json.Unmarshal([]byte(s), &j) != nil {
				return nil, &pgError{Code: "22P02", Message: "invalid input syntax for type json"}
			}
			return j, nil
		}
		return cloneValue(val), nil
	case "interval":
		switch x := val.(type) {
		case pgInterval:
			return x, nil
		case string:
			if iv, ok := parseInterval(x); ok {
				return iv, nil
			}
			return nil, &pgError{Code: "22007", Message: fmt.Sprintf("invalid input syntax for type interval: %q", x)}
		}
		return nil, &pgError{Code: "42846", Message: fmt.Sprintf("cannot cast type %s to interval", jsonType(val))}
	case "int2", "int4", "int8":
		if n, ok := val.(json.Number); ok {
			if pg == "int8" {
				return n, nil
			}
			val = plainNumber(n)
		}
		if f, ok := val.(float64); ok {
			r := math.Round(f)
			if (pg == "int4" && math.Abs(r) > math.MaxInt32) || (pg == "int2" && math.Abs(r) > math.MaxInt16) {
				name := map[string]string{"int4": "integer", "int2": "smallint"}[pg]
				return nil, &pgError{Code: "22003", Message: name + " out of range"}
			}
			return r, nil
		}
	case "text", "varchar", "bpchar", "name", "citext":
		switch x := val.(type) {
		case pgInterval:
			return x.String(), nil
		case []any:
			return pgArrayText(x), nil
		}
	case "numeric":
		if n, ok := val.(json.Number); ok && typmodScale(typ) <= 0 {
			return n, nil
		}
		if sc := typmodScale(typ); sc >= 0 {
			if f, ok := toNumber(val); ok {
				p := math.Pow(10, float64(sc))
				return math.Round(f*p) / p, nil
			}
		}
	}
	if strings.HasSuffix(pg, "[]") {
		if arr, ok := val.([]any); ok {
			el := friendlyOfPG(strings.TrimSuffix(pg, "[]"))
			out := make([]any, len(arr))
			for i, e := range arr {
				c, err := coerce(el, e)
				if err != nil {
					return nil, err
				}
				out[i] = c
			}
			return out, nil
		}
	}
	v, err := coerce(friendlyOfPG(pg), val)
	if err != nil {
		return nil, err
	}
	if pg == "date" {
		if s, ok := v.(string); ok && len(s) > 10 {
			if t, ok := parseTime(s); ok {
				return t.UTC().Format("2006-01-02"), nil
			}
		}
	}
	return v, nil
}

// pgArrayText is the text form of an array ({a,b}).
func pgArrayText(arr []any) string {
	parts := make([]string, len(arr))
	for i, e := range arr {
		switch x := e.(type) {
		case nil:
			parts[i] = "NULL"
		case string:
			if x == "" || strings.ContainsAny(x, `{},"\ `) || strings.EqualFold(x, "null") {
				parts[i] = `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(x) + `"`
			} else {
				parts[i] = x
			}
		case []any:
			parts[i] = pgArrayText(x)
		default:
			parts[i] = displayValue(x)
		}
	}
	return "{" + strings.Join(parts, ",") + "}"
}

func toNumber(v any) (float64, bool) {
	switch n := v.(type) {
	case float64:
		return n, true
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	case string:
		var f float64
		if _, err := fmt.Sscan(strings.TrimSpace(n), &f); err == nil {
			return f, true
		}
	}
	return 0, false
}

// likeRegexpSQL turns a SQL LIKE pattern into a regexp (%, _ and \ escapes).
func likeRegexpSQL(p string, ci bool) *regexp.Regexp {
	var b strings.Builder
	b.WriteString("^(?s)")
	if ci {
		b.WriteString("(?i)")
	}
	esc := false
	for _, r := range p {
		switch {
		case esc:
			b.WriteString(regexp.QuoteMeta(string(r)))
			esc = false
		case r == '\\':
			esc = true
		case r == '%':
			b.WriteString(".*")
		case r == '_':
			b.WriteString(".")
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	b.WriteString("$")
	return regexp.MustCompile(b.String())
}

// isTimeOID reports date/time types.
func isTimeOID(oid int) bool { return oid == 1082 || oid == 1114 || oid == 1184 }

func (x *execCtx) evalBin(v *binExpr, ev *env) (any, *pgError) {
	if v.op == "and" || v.op == "or" {
		l, err := x.eval(v.l, ev)
		if err != nil {
			return nil, err
		}
		r, err := x.eval(v.r, ev)
		if err != nil {
			return nil, err
		}
		if v.op == "and" {
			if l == false || r == false {
				return false, nil
			}
			if l == nil || r == nil {
				return nil, nil
			}
			return true, nil
		}
		if l == true || r == true {
			return true, nil
		}
		if l == nil || r == nil {
			return nil, nil
		}
		return false, nil
	}
	l, err := x.eval(v.l, ev)
	if err != nil {
		return nil, err
	}
	r, err := x.eval(v.r, ev)
	if err != nil {
		return nil, err
	}
	if l == nil || r == nil {
		return nil, nil
	}
	switch v.op {
	case "=", "<>", "<", ">", "<=", ">=":
		if t := x.staticType(v.l, ev); t != "" && x.staticType(v.r, ev) == "" {
			if r, err = coerce(t, r); err != nil {
				return nil, err
			}
		} else if t := x.staticType(v.r, ev); t != "" && x.staticType(v.l, ev) == "" {
			if l, err = coerce(t, l); err != nil {
				return nil, err
			}
		}
		c, ok := compareValues(l, r)
		if !ok {
			if ta, okA := timeOf(l); okA {
				if tb, okB := timeOf(r); okB {
					c, ok = ta.Compare(tb), true
				}
			}
		}
		if !ok {
			if valuesEqual(l, r) {
				c = 0
			} else if v.op == "=" || v.op == "<>" {
				c = 1
			} else {
				return nil, &pgError{Code: "42883", Message: fmt.Sprintf("operator does not exist: %s %s %s", jsonType(l), v.op, jsonType(r))}
			}
		}
		switch v.op {
		case "=":
			return c == 0, nil
		case "<>":
			return c != 0, nil
		case "<":
			return c < 0, nil
		case ">":
			return c > 0, nil
		case "<=":
			return c <= 0, nil
		}
		return c >= 0, nil
	case "like", "ilike", "not like", "not ilike":
		pat, ok := r.(string)
		if !ok {
			pat = displayValue(r)
		}
		m := likeRegexpSQL(pat, strings.HasSuffix(v.op, "ilike")).MatchString(displayValue(l))
		return m != strings.HasPrefix(v.op, "not "), nil
	case "||":
		if la, ok := l.([]any); ok {
			if ra, ok := r.([]any); ok {
				return append(append([]any{}, la...), ra...), nil
			}
			return append(append([]any{}, la...), r), nil
		}
		return textOf(l) + textOf(r), nil
	}
	// date/time arithmetic
	lo, ro := x.exprOID(v.l, ev), x.exprOID(v.r, ev)
	if iv, ok := r.(pgInterval); ok && (v.op == "+" || v.op == "-") {
		if t, ok := timeOf(l); ok {
			sign := 1
			if v.op == "-" {
				sign = -1
			}
			return formatTimestamp(addInterval(t, iv, sign)), nil
		}
		if li, ok := l.(pgInterval); ok {
			if v.op == "-" {
				iv = pgInterval{-iv.months, -iv.days, -iv.us}
			}
			return pgInterval{li.months + iv.months, li.days + iv.days, li.us + iv.us}, nil
		}
	}
	if iv, ok := l.(pgInterval); ok && v.op == "+" {
		if t, ok := timeOf(r); ok {
			return formatTimestamp(addInterval(t, iv, 1)), nil
		}
	}
	if lo == 1082 && isIntOID(ro) && (v.op == "+" || v.op == "-") {
		if t, ok := timeOf(l); ok {
			n, _ := toNumber(r)
			if v.op == "-" {
				n = -n
			}
			return t.AddDate(0, 0, int(n)).Format("2006-01-02"), nil
		}
	}
	if v.op == "-" && isTimeOID(lo) && isTimeOID(ro) {
		ta, okA := timeOf(l)
		tb, okB := timeOf(r)
		if okA && okB {
			if lo == 1082 && ro == 1082 {
				return math.Round(ta.Sub(tb).Hours() / 24), nil
			}
			d := ta.Sub(tb)
			days := int(d / (24 * time.Hour))
			return pgInterval{days: days, us: int64((d - time.Duration(days)*24*time.Hour) / time.Microsecond)}, nil
		}
	}
	a, ok1 := toNumber(l)
	b, ok2 := toNumber(r)
	if !ok1 || !ok2 {
		return nil, &pgError{Code: "42883", Message: fmt.Sprintf("operator does not exist: %s %s %s", jsonType(l), v.op, jsonType(r))}
	}
	switch v.op {
	case "+":
		return a + b, nil
	case "-":
		return a - b, nil
	case "*":
		return a * b, nil
	case "/", "%":
		if b == 0 {
			return nil, &pgError{Code: "22012", Message: "division by zero"}
		}
		if v.op == "%" {
			return math.Mod(a, b), nil
		}
		if isIntOID(lo) && isIntOID(ro) {
			return math.Trunc(a / b), nil // integer division
		}
		return a / b, nil
	}
	return nil, &pgError{Code: "42883", Message: "operator does not exist: " + v.op}
}

// timeOf parses a stored date/timestamp value.
func timeOf(v any) (time.Time, bool) {
	s, ok := v.(string)
	if !ok || len(s) < 10 || s[4] != '-' {
		return time.Time{}, false
	}
	return parseTime(s)
}

// textOf is the text form of a value (for || and text casts).
func textOf(v any) string {
	switch x := v.(type) {
	case pgInterval:
		return x.String()
	case []any:
		return pgArrayText(x)
	}
	return displayValue(v)
}

func isIntOID(oid int) bool { return oid == 20 || oid == 21 || oid == 23 }

// settings are the configuration parameters SHOW and current_setting know.
var settings = map[string][2]string{ // lower-case name → canonical name, value
	"search_path":                   {"search_path", `"$user", public`},
	"timezone":                      {"TimeZone", "UTC"},
	"datestyle":                     {"DateStyle", "ISO, MDY"},
	"intervalstyle":                 {"IntervalStyle", "postgres"},
	"server_version":                {"server_version", "15.18 (Debian 15.18-0+deb12u1)"},
	"server_version_num":            {"server_version_num", "150018"},
	"server_encoding":               {"server_encoding", "UTF8"},
	"client_encoding":               {"client_encoding", "UTF8"},
	"statement_timeout":             {"statement_timeout", "30s"},
	"max_connections":               {"max_connections", "100"},
	"transaction_isolation":         {"transaction_isolation", "read committed"},
	"standard_conforming_strings":   {"standard_conforming_strings", "on"},
	"lc_collate":                    {"lc_collate", "en_US.utf8"},
	"lc_ctype":                      {"lc_ctype", "en_US.utf8"},
	"default_transaction_read_only": {"default_transaction_read_only", "off"},
	"work_mem":                      {"work_mem", "4MB"},
	"shared_buffers":                {"shared_buffers", "128MB"},
	"application_name":              {"application_name", ""},
	"role":                          {"role", "none"},
	"is_superuser":                  {"is_superuser", "off"},
}

func (x *execCtx) evalFunc(f *funcExpr, ev *env) (any, *pgError) {
	if aggregates[f.name] {
		if !ev.grouped {
			return nil, &pgError{Code: "42803", Message: "aggregate functions are not allowed here"}
		}
		return x.evalAggregate(f, ev)
	}
	args := make([]any, len(f.args))
	for i, a := range f.args {
		v, err := x.eval(a, ev)
		if err != nil {
			return nil, err
		}
		args[i] = v
	}
	arity := func(n int) *pgError {
		if len(args) != n {
			return &pgError{Code: "42883", Message: fmt.Sprintf("function %s() does not exist", f.name)}
		}
		return nil
	}
	switch f.name {
	case "now", "current_timestamp", "localtimestamp", "statement_timestamp", "transaction_timestamp", "clock_timestamp":
		return formatTimestamp(x.now), nil
	case "current_date":
		return x.now.UTC().Format("2006-01-02"), nil
	case "current_user", "session_user", "user":
		return x.user, nil
	case "current_schema":
		return "public", nil
	case "current_database":
		return "insforge", nil
	case "version":
		return "PostgreSQL 15.18 (Debian 15.18-0+deb12u1) on x86_64-pc-linux-gnu, compiled by gcc (Debian 12.2.0-14+deb12u1) 12.2.0, 64-bit", nil
	case "gen_random_uuid", "uuid_generate_v4":
		return newUUID(), nil
	case "pg_sleep":
		return "", nil
	case "auth.uid", "auth.role", "auth.email", "auth.jwt":
		return nil, nil
	case "realtime.publish":
		// realtime.publish(text, text, jsonb): the new message's id, or NULL
		// when no enabled channel pattern matches (nothing is stored).
		if x.publish == nil || len(args) != 3 {
			return nil, &pgError{Code: "42883", Message: "function realtime.publish() does not exist"}
		}
		if args[0] == nil || args[1] == nil {
			return nil, nil
		}
		payload, _ := args[2].(map[string]any)
		if payload == nil {
			payload = map[string]any{}
		}
		if id, ok := x.publish(displayValue(args[0]), displayValue(args[1]), payload); ok {
			return id, nil
		}
		return nil, nil
	case "current_setting":
		if len(args) < 1 || len(args) > 2 {
			return nil, &pgError{Code: "42883", Message: "function current_setting() does not exist"}
		}
		name := strings.ToLower(displayValue(args[0]))
		if st, ok := settings[name]; ok {
			if name == "role" && x.user == "project_admin" {
				return "project_admin", nil
			}
			return st[1], nil
		}
		if len(args) == 2 && truthy(args[1]) {
			return nil, nil
		}
		return nil, &pgError{Code: "42704", Message: fmt.Sprintf("unrecognized configuration parameter %q", displayValue(args[0]))}
	case "lower", "upper", "length", "char_length", "trim", "btrim", "ltrim", "rtrim", "md5", "reverse", "initcap":
		if err := arity(1); err != nil {
			return nil, err
		}
		if args[0] == nil {
			return nil, nil
		}
		s := textOf(args[0])
		switch f.name {
		case "lower":
			return strings.ToLower(s), nil
		case "upper":
			return strings.ToUpper(s), nil
		case "length", "char_length":
			return float64(len([]rune(s))), nil
		case "ltrim":
			return strings.TrimLeft(s, " "), nil
		case "rtrim":
			return strings.TrimRight(s, " "), nil
		case "reverse":
			r := []rune(s)
			for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
				r[i], r[j] = r[j], r[i]
			}
			return string(r), nil
		case "initcap":
			return initcap(s), nil
		case "md5":
			return md5Hex(s), nil
		}
		return strings.Trim(s, " "), nil
	case "coalesce":
		for _, a := range args {
			if a != nil {
				return a, nil
			}
		}
		return nil, nil
	case "nullif":
		if err := arity(2); err != nil {
			return nil, err
		}
		if args[0] != nil && args[1] != nil && valuesEqual(args[0], args[1]) {
			return nil, nil
		}
		return args[0], nil
	case "greatest", "least":
		var best any
		for _, a := range args {
			if a == nil {
				continue
			}
			if best == nil {
				best = a
				continue
			}
			c, _ := compareValues(a, best)
			if (f.name == "greatest" && c > 0) || (f.name == "least" && c < 0) {
				best = a
			}
		}
		return best, nil
	case "concat":
		var b strings.Builder
		for _, a := range args {
			if a != nil {
				b.WriteString(textOf(a))
			}
		}
		return b.String(), nil
	case "abs", "round", "floor", "ceil", "ceiling", "trunc", "sqrt", "sign":
		if len(args) < 1 || args[0] == nil {
			return nil, nil
		}
		n, ok := toNumber(args[0])
		if !ok {
			return nil, &pgError{Code: "42883", Message: fmt.Sprintf("function %s(%s) does not exist", f.name, jsonType(args[0]))}
		}
		switch f.name {
		case "abs":
			return math.Abs(n), nil
		case "floor":
			return math.Floor(n), nil
		case "ceil", "ceiling":
			return math.Ceil(n), nil
		case "sqrt":
			return math.Sqrt(n), nil
		case "sign":
			switch {
			case n > 0:
				return 1.0, nil
			case n < 0:
				return -1.0, nil
			}
			return 0.0, nil
		}
		digits := 0.0
		if len(args) > 1 {
			if d, ok := toNumber(args[1]); ok {
				digits = d
			}
		}
		p := math.Pow(10, digits)
		if f.name == "trunc" {
			return math.Trunc(n*p) / p, nil
		}
		return math.Round(n*p) / p, nil
	case "array_length", "cardinality":
		if len(args) < 1 || args[0] == nil {
			return nil, nil
		}
		if arr, ok := args[0].([]any); ok {
			if len(arr) == 0 && f.name == "array_length" {
				return nil, nil
			}
			return float64(len(arr)), nil
		}
	case "to_json", "to_jsonb":
		if err := arity(1); err != nil {
			return nil, err
		}
		return cloneValue(args[0]), nil
	case "json_build_object", "jsonb_build_object":
		if len(args)%2 != 0 {
			return nil, &pgError{Code: "22023", Message: "argument list must have even number of elements"}
		}
		m := map[string]any{}
		for i := 0; i < len(args); i += 2 {
			m[textOf(args[i])] = args[i+1]
		}
		return m, nil
	case "json_build_array", "jsonb_build_array":
		return append([]any{}, args...), nil
	case "date_trunc":
		if err := arity(2); err != nil {
			return nil, err
		}
		if args[1] == nil {
			return nil, nil
		}
		t, ok := timeOf(args[1])
		if !ok {
			return nil, &pgError{Code: "42883", Message: "function date_trunc(unknown, " + jsonType(args[1]) + ") does not exist"}
		}
		t = t.UTC()
		switch strings.ToLower(displayValue(args[0])) {
		case "year":
			t = time.Date(t.Year(), 1, 1, 0, 0, 0, 0, time.UTC)
		case "month":
			t = time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
		case "day":
			t = time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
		case "hour":
			t = t.Truncate(time.Hour)
		case "minute":
			t = t.Truncate(time.Minute)
		case "second":
			t = t.Truncate(time.Second)
		}
		return formatTimestamp(t), nil
	}
	return nil, &pgError{Code: "42883", Message: fmt.Sprintf("function %s() does not exist", f.name),
		Hint: "No function matches the given name and argument types."}
}

// evalAggregate computes an aggregate over the rows of the group.
func (x *execCtx) evalAggregate(f *funcExpr, ev *env) (any, *pgError) {
	rows := ev.group
	if f.star {
		if f.name != "count" {
			return nil, &pgError{Code: "42601", Message: "syntax error at or near \"*\""}
		}
		return float64(len(rows)), nil
	}
	if len(f.args) == 0 || (len(f.args) != 1 && f.name != "string_agg") {
		return nil, &pgError{Code: "42883", Message: fmt.Sprintf("function %s() does not exist", f.name)}
	}
	inner := &env{tbl: ev.tbl, ref: ev.ref, excluded: ev.excluded}
	var vals []any
	for _, r := range rows {
		inner.row = r
		v, err := x.eval(f.args[0], inner)
		if err != nil {
			return nil, err
		}
		if v != nil || f.name == "array_agg" || f.name == "json_agg" || f.name == "jsonb_agg" {
			vals = append(vals, v)
		}
	}
	argOID := x.exprOID(f.args[0], &env{tbl: ev.tbl, ref: ev.ref})
	switch f.name {
	case "count":
		return float64(len(vals)), nil
	case "sum", "avg":
		if len(vals) == 0 {
			return nil, nil
		}
		sum := new(big.Rat)
		fsum := 0.0
		for _, v := range vals {
			n, ok := toNumber(v)
			if !ok {
				return nil, &pgError{Code: "42883", Message: fmt.Sprintf("function %s(%s) does not exist", f.name, jsonType(v))}
			}
			fsum += n
			if r, ok := new(big.Rat).SetString(strconv.FormatFloat(n, 'f', -1, 64)); ok {
				sum.Add(sum, r)
			}
		}
		if f.name == "sum" {
			if argOID == 700 || argOID == 701 {
				return fsum, nil
			}
			s, _ := sum.Float64()
			return s, nil
		}
		if argOID == 700 || argOID == 701 {
			return fsum / float64(len(vals)), nil
		}
		dscale := 0
		if argOID == 1700 {
			dscale = max(x.numScale(f.args[0], &env{tbl: ev.tbl, ref: ev.ref}), 0)
			for _, v := range vals {
				if n, ok := toNumber(v); ok {
					dscale = max(dscale, decimalScale(strconv.FormatFloat(n, 'f', -1, 64)))
				}
			}
		}
		return numericDiv(sum, big.NewRat(int64(len(vals)), 1), dscale, 0), nil
	case "bool_and", "every", "bool_or":
		if len(vals) == 0 {
			return nil, nil
		}
		and := f.name != "bool_or"
		res := and
		for _, v := range vals {
			if and {
				res = res && truthy(v)
			} else {
				res = res || truthy(v)
			}
		}
		return res, nil
	case "string_agg":
		if len(vals) == 0 {
			return nil, nil
		}
		sep := ""
		if len(f.args) > 1 {
			s, err := x.eval(f.args[1], &env{})
			if err != nil {
				return nil, err
			}
			sep = textOf(s)
		}
		parts := make([]string, len(vals))
		for i, v := range vals {
			parts[i] = textOf(v)
		}
		return strings.Join(parts, sep), nil
	case "array_agg", "json_agg", "jsonb_agg":
		if len(vals) == 0 {
			return nil, nil
		}
		return vals, nil
	}
	if len(vals) == 0 {
		return nil, nil
	}
	best := vals[0]
	for _, v := range vals[1:] {
		c, _ := compareValues(v, best)
		if (f.name == "min" && c < 0) || (f.name == "max" && c > 0) {
			best = v
		}
	}
	return best, nil
}

// ---- output naming and typing ----

func outputName(it selItem) string {
	if it.alias != "" {
		return it.alias
	}
	e := it.e
	for {
		switch v := e.(type) {
		case *colExpr:
			return v.name
		case *funcExpr:
			if i := strings.LastIndexByte(v.name, '.'); i >= 0 {
				return v.name[i+1:]
			}
			return v.name
		case *litExpr:
			if _, ok := v.v.(bool); ok {
				return "bool"
			}
		case *arrayExpr:
			return "array"
		case *caseExpr:
			return "case"
		case *castExpr:
			if _, ok := v.e.(*litExpr); ok {
				return strings.Fields(v.typ)[0]
			}
			e = v.e
			continue
		}
		return "?column?"
	}
}

// numericPromote returns the result OID of arithmetic on two numeric OIDs.
func numericPromote(a, b int) int {
	rank := func(o int) int {
		switch o {
		case 21, 23:
			return 1
		case 20:
			return 2
		case 1700:
			return 3
		case 700, 701:
			return 4
		case 705:
			return 0 // unknown literals adopt the other side's type
		}
		return -1
	}
	ra, rb := rank(a), rank(b)
	switch {
	case ra < 0 || rb < 0:
		if ra >= 0 {
			return a
		}
		return b
	case ra == 0 && rb == 0:
		return 23
	case ra == 0:
		return b
	case rb == 0:
		return a
	case ra == 4 || rb == 4:
		return 701
	case ra == 3 || rb == 3:
		return 1700
	case ra == 2 || rb == 2:
		return 20
	}
	return 23
}

// exprOID returns the type OID of an expression (node-pg dataTypeID).
func (x *execCtx) exprOID(e expr, ev *env) int {
	switch v := e.(type) {
	case *colExpr:
		if ev.tbl != nil {
			if c, _, ok := ev.tbl.col(v.name); ok {
				return oidOfPG(c.pgType())
			}
		}
	case *litExpr:
		switch l := v.v.(type) {
		case float64:
			if !v.decimal && l == math.Trunc(l) {
				if math.Abs(l) <= math.MaxInt32 {
					return 23
				}
				if math.Abs(l) < 1<<63 {
					return 20
				}
			}
			return 1700
		case bool:
			return 16
		}
		return 705 // unknown (a string literal or NULL): text in results
	case *castExpr:
		return oidOfPG(pgTypeOfSQL(v.typ))
	case *arrayExpr:
		el := 705
		for _, e := range v.elems {
			if o := x.exprOID(e, ev); o != 705 {
				if el == 705 || !isNumericOID(el) || !isNumericOID(o) {
					el = o
				} else {
					el = numericPromote(el, o)
				}
			}
		}
		if el == 705 {
			el = 25
		}
		return arrayOID(el)
	case *caseExpr:
		for _, w := range v.whens {
			if o := x.exprOID(w.then, ev); o != 705 {
				return o
			}
		}
		if v.els != nil {
			if o := x.exprOID(v.els, ev); o != 705 {
				return o
			}
		}
		return 25
	case *funcExpr:
		arg := func(i int) int {
			if i < len(v.args) {
				return x.exprOID(v.args[i], ev)
			}
			return 25
		}
		switch v.name {
		case "count":
			return 20
		case "sum":
			switch a := arg(0); a {
			case 21, 23:
				return 20
			case 700, 701:
				return 701
			}
			return 1700
		case "avg":
			if a := arg(0); a == 700 || a == 701 {
				return 701
			}
			return 1700
		case "min", "max":
			if a := arg(0); a != 705 {
				return a
			}
			return 25
		case "now", "current_timestamp", "statement_timestamp", "transaction_timestamp", "clock_timestamp", "date_trunc":
			return 1184
		case "localtimestamp":
			return 1114
		case "current_date":
			return 1082
		case "current_user", "session_user", "user", "current_schema", "current_database":
			return 19
		case "gen_random_uuid", "uuid_generate_v4", "auth.uid", "realtime.publish":
			return 2950
		case "length", "char_length", "array_length", "cardinality":
			return 23
		case "coalesce", "nullif", "greatest", "least":
			for i := range v.args {
				if o := arg(i); o != 705 {
					return o
				}
			}
			return 25
		case "abs", "sign":
			if a := arg(0); a != 705 {
				return a
			}
			return 1700
		case "round", "trunc", "floor", "ceil", "ceiling":
			if a := arg(0); a == 1700 {
				return 1700
			}
			return 701
		case "sqrt":
			return 701
		case "pg_sleep":
			return 2278
		case "bool_and", "bool_or", "every":
			return 16
		case "array_agg":
			return arrayOID(arg(0))
		case "json_agg", "json_build_object", "json_build_array", "to_json":
			return 114
		case "jsonb_agg", "jsonb_build_object", "jsonb_build_array", "to_jsonb", "auth.jwt":
			return 3802
		}
		return 25
	case *binExpr:
		switch v.op {
		case "+", "-", "*", "/", "%":
			lo, ro := x.exprOID(v.l, ev), x.exprOID(v.r, ev)
			switch {
			case lo == 1186 && ro == 1186:
				return 1186
			case isTimeOID(lo) && ro == 1186:
				if lo == 1082 {
					return 1114
				}
				return lo
			case lo == 1186 && isTimeOID(ro):
				return ro
			case lo == 1082 && isIntOID(ro):
				return 1082
			case v.op == "-" && lo == 1082 && ro == 1082:
				return 23
			case v.op == "-" && isTimeOID(lo) && isTimeOID(ro):
				return 1186
			}
			return numericPromote(lo, ro)
		case "||":
			if o := x.exprOID(v.l, ev); elemOID(o) != 0 {
				return o
			}
			return 25
		}
		return 16
	case *negExpr:
		return x.exprOID(v.e, ev)
	case *paramExpr:
		return 705
	case *notExpr, *isExpr, *inExpr, *betweenExpr:
		return 16
	}
	return 25
}

// numScale returns the display scale of a numeric expression (-1: not
// known statically; the value's own shortest form is used).
func (x *execCtx) numScale(e expr, ev *env) int {
	switch v := e.(type) {
	case *litExpr:
		if _, ok := v.v.(float64); ok {
			return decimalScale(v.text)
		}
	case *colExpr:
		if ev.tbl != nil {
			if c, _, ok := ev.tbl.col(v.name); ok {
				return c.numScale()
			}
		}
	case *castExpr:
		if sc := typmodScale(v.typ); sc >= 0 {
			return sc
		}
		if isIntOID(x.exprOID(v.e, ev)) {
			return 0
		}
		return x.numScale(v.e, ev)
	case *negExpr:
		return x.numScale(v.e, ev)
	case *binExpr:
		l, r := x.numScale(v.l, ev), x.numScale(v.r, ev)
		if isIntOID(x.exprOID(v.l, ev)) {
			l = 0
		}
		if isIntOID(x.exprOID(v.r, ev)) {
			r = 0
		}
		if l < 0 || r < 0 {
			return -1
		}
		switch v.op {
		case "+", "-":
			return max(l, r)
		case "*":
			return l + r
		}
	case *funcExpr:
		switch v.name {
		case "sum", "min", "max", "abs", "coalesce":
			if len(v.args) > 0 {
				return x.numScale(v.args[0], ev)
			}
		case "round", "trunc":
			if len(v.args) > 1 {
				if l, ok := v.args[1].(*litExpr); ok {
					if n, ok := l.v.(float64); ok {
						return int(n)
					}
				}
			}
			return 0
		}
	}
	return -1
}

func md5Hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

// initcap upper-cases the first letter of every word.
func initcap(s string) string {
	r := []rune(strings.ToLower(s))
	start := true
	for i, c := range r {
		isAlnum := (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c > 127
		if start && isAlnum {
			r[i] = []rune(strings.ToUpper(string(c)))[0]
		}
		start = !isAlnum
	}
	return string(r)
}
