package insforgetest

import (
	"fmt"
	"math"
	"strings"
)

// SELECT execution of the raw SQL interpreter: FROM (a table, a catalog
// view or generate_series/unnest), WHERE, GROUP BY/HAVING and aggregates,
// DISTINCT, UNION/INTERSECT/EXCEPT, ORDER BY, OFFSET/LIMIT. Values are
// evaluated in their stored form and converted to node-pg's JSON form
// (toWire) when the result is built.

// rawResult is a result before the node-pg conversion.
type rawResult struct {
	names  []string
	fields []Field
	scales []int
	rows   [][]any
	keys   [][]any // ORDER BY keys per row (simple selects)
}

// hasAggregate reports whether an expression contains an aggregate call.
func hasAggregate(e expr) bool {
	switch v := e.(type) {
	case *funcExpr:
		if aggregates[v.name] {
			return true
		}
		for _, a := range v.args {
			if hasAggregate(a) {
				return true
			}
		}
	case *binExpr:
		return hasAggregate(v.l) || hasAggregate(v.r)
	case *notExpr:
		return hasAggregate(v.e)
	case *negExpr:
		return hasAggregate(v.e)
	case *castExpr:
		return hasAggregate(v.e)
	case *isExpr:
		return hasAggregate(v.e)
	case *inExpr:
		if hasAggregate(v.e) {
			return true
		}
		for _, l := range v.list {
			if hasAggregate(l) {
				return true
			}
		}
	case *betweenExpr:
		return hasAggregate(v.e) || hasAggregate(v.lo) || hasAggregate(v.hi)
	case *arrayExpr:
		for _, l := range v.elems {
			if hasAggregate(l) {
				return true
			}
		}
	case *caseExpr:
		if v.operand != nil && hasAggregate(v.operand) {
			return true
		}
		for _, w := range v.whens {
			if hasAggregate(w.cond) || hasAggregate(w.then) {
				return true
			}
		}
		if v.els != nil {
			return hasAggregate(v.els)
		}
	}
	return false
}

// expandItems resolves * into column references.
func expandItems(items []selItem, t *table) ([]selItem, *pgError) {
	var out []selItem
	for _, it := range items {
		if !it.star {
			out = append(out, it)
			continue
		}
		if t == nil {
			return nil, &pgError{Code: "42601", Message: "SELECT * with no tables specified is not valid"}
		}
		for _, c := range t.columns {
			out = append(out, selItem{e: &colExpr{name: c.Name}})
		}
	}
	return out, nil
}

// outputs returns the expanded items with their names, fields and
// numeric scales.
func (x *execCtx) outputs(items []selItem, t *table, ref *tableRef) ([]selItem, []string, []Field, []int, *pgError) {
	items, err := expandItems(items, t)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	names := make([]string, len(items))
	fields := make([]Field, len(items))
	scales := make([]int, len(items))
	ev := &env{tbl: t, ref: ref}
	for i, it := range items {
		names[i] = outputName(it)
		fields[i] = Field{Name: names[i], DataTypeID: x.exprOID(it.e, ev)}
		scales[i] = x.numScale(it.e, ev)
	}
	return items, names, fields, scales, nil
}

// wire converts raw rows to result rows (and unknown-typed fields to text).
func (r *rawResult) wire() []orderedRow {
	for i := range r.fields {
		if r.fields[i].DataTypeID == 705 {
			r.fields[i].DataTypeID = 25
		}
	}
	out := make([]orderedRow, len(r.rows))
	for i, vals := range r.rows {
		conv := make([]any, len(vals))
		for j, v := range vals {
			conv[j] = toWire(r.fields[j].DataTypeID, r.scales[j], cloneValue(v))
		}
		out[i] = dedupeKeys(r.names, conv)
	}
	return out
}

// dedupeKeys keeps the first position and the last value of repeated keys
// (like a JavaScript object built by node-pg).
func dedupeKeys(names []string, vals []any) orderedRow {
	pos := map[string]int{}
	o := orderedRow{keys: []string{}, vals: []any{}}
	for i, n := range names {
		if p, ok := pos[n]; ok {
			o.vals[p] = vals[i]
			continue
		}
		pos[n] = len(o.keys)
		o.keys = append(o.keys, n)
		o.vals = append(o.vals, vals[i])
	}
	return o
}

// project evaluates items over rows (RETURNING) and converts the result.
func (x *execCtx) project(items []selItem, t *table, ref *tableRef, rows []map[string]any) ([]orderedRow, []Field, *pgError) {
	items, names, fields, scales, err := x.outputs(items, t, ref)
	if err != nil {
		return nil, nil, err
	}
	res := &rawResult{names: names, fields: fields, scales: scales}
	for _, r := range rows {
		vals := make([]any, len(items))
		for i, it := range items {
			v, err := x.eval(it.e, &env{tbl: t, ref: ref, row: r})
			if err != nil {
				return nil, nil, err
			}
			vals[i] = v
		}
		res.rows = append(res.rows, vals)
	}
	return res.wire(), fields, nil
}

func (x *execCtx) intArg(e expr) (int, *pgError) {
	if e == nil {
		return -1, nil
	}
	v, err := x.eval(e, &env{})
	if err != nil {
		return 0, err
	}
	if v == nil {
		return -1, nil
	}
	n, ok := toNumber(v)
	if !ok || n < 0 {
		return 0, &pgError{Code: "2201W", Message: "LIMIT must not be negative"}
	}
	return int(n), nil
}

// sourceRows returns the FROM relation and its rows passing WHERE.
func (x *execCtx) sourceRows(s *selectStmt) (*table, []map[string]any, *pgError) {
	if s.from == nil {
		rows := []map[string]any{{}}
		if s.where != nil {
			v, err := x.eval(s.where, &env{row: map[string]any{}})
			if err != nil {
				return nil, nil, err
			}
			if !truthy(v) {
				rows = nil
			}
		}
		return nil, rows, nil
	}
	t, err := x.readable(*s.from)
	if err != nil {
		return nil, nil, err
	}
	var rows []map[string]any
	for _, r := range t.rows {
		if s.where != nil {
			v, err := x.eval(s.where, &env{tbl: t, ref: s.from, row: r})
			if err != nil {
				return nil, nil, err
			}
			if !truthy(v) {
				continue
			}
		}
		rows = append(rows, r)
	}
	return t, rows, nil
}

// resolveOutputRef maps an ORDER BY / GROUP BY expression that is an
// ordinal or an output column alias to the select item's expression.
func resolveOutputRef(e expr, items []selItem, t *table, clause string) (expr, *pgError) {
	switch v := e.(type) {
	case *litExpr:
		if n, ok := v.v.(float64); ok && !v.decimal {
			if int(n) < 1 || int(n) > len(items) {
				return nil, &pgError{Code: "42P10", Message: fmt.Sprintf("%s position %d is not in select list", clause, int(n))}
			}
			return items[int(n)-1].e, nil
		}
	case *colExpr:
		if v.qual == "" {
			isCol := false
			if t != nil {
				_, _, isCol = t.col(v.name)
			}
			for _, it := range items {
				if it.alias == v.name && (clause == "ORDER BY" || !isCol) {
					return it.e, nil
				}
			}
		}
	}
	return e, nil
}

// selectCore runs one SELECT without set operations, LIMIT and OFFSET;
// with order true it also computes the ORDER BY keys.
func (x *execCtx) selectCore(s *selectStmt, order bool) (*rawResult, *pgError) {
	t, rows, err := x.sourceRows(s)
	if err != nil {
		return nil, err
	}
	items, names, fields, scales, err := x.outputs(s.items, t, s.from)
	if err != nil {
		return nil, err
	}
	res := &rawResult{names: names, fields: fields, scales: scales}
	var orderExprs []expr
	if order {
		for _, o := range s.order {
			e, err := resolveOutputRef(o.e, items, t, "ORDER BY")
			if err != nil {
				return nil, err
			}
			orderExprs = append(orderExprs, e)
		}
	}
	emit := func(ev *env) *pgError {
		if s.having != nil {
			v, err := x.eval(s.having, ev)
			if err != nil {
				return err
			}
			if !truthy(v) {
				return nil
			}
		}
		vals := make([]any, len(items))
		for i, it := range items {
			v, err := x.eval(it.e, ev)
			if err != nil {
				return err
			}
			vals[i] = v
		}
		keys := make([]any, len(orderExprs))
		for i, e := range orderExprs {
			v, err := x.eval(e, ev)
			if err != nil {
				return err
			}
			keys[i] = v
		}
		res.rows = append(res.rows, vals)
		res.keys = append(res.keys, keys)
		return nil
	}
	grouped := len(s.groupBy) > 0 || s.having != nil
	for _, it := range items {
		grouped = grouped || hasAggregate(it.e)
	}
	if grouped {
		var groupExprs []expr
		for _, g := range s.groupBy {
			e, err := resolveOutputRef(g, items, t, "GROUP BY")
			if err != nil {
				return nil, err
			}
			groupExprs = append(groupExprs, e)
		}
		if len(groupExprs) == 0 {
			if err := emit(&env{tbl: t, ref: s.from, group: rows, grouped: true}); err != nil {
				return nil, err
			}
		} else {
			var order []string
			groups := map[string][]map[string]any{}
			for _, r := range rows {
				kv := make([]any, len(groupExprs))
				for i, e := range groupExprs {
					v, err := x.eval(e, &env{tbl: t, ref: s.from, row: r})
					if err != nil {
						return nil, err
					}
					kv[i] = v
				}
				k := string(marshalJSON(kv))
				if _, seen := groups[k]; !seen {
					order = append(order, k)
				}
				groups[k] = append(groups[k], r)
			}
			for _, k := range order {
				g := groups[k]
				if err := emit(&env{tbl: t, ref: s.from, row: g[0], group: g, grouped: true}); err != nil {
					return nil, err
				}
			}
		}
	} else {
		for _, r := range rows {
			if err := emit(&env{tbl: t, ref: s.from, row: r}); err != nil {
				return nil, err
			}
		}
	}
	if s.distinct {
		res.dedupe()
	}
	return res, nil
}

// dedupe removes duplicate rows (keeping the first).
func (r *rawResult) dedupe() {
	seen := map[string]bool{}
	var rows, keys [][]any
	for i, vals := range r.rows {
		k := string(marshalJSON(vals))
		if seen[k] {
			continue
		}
		seen[k] = true
		rows = append(rows, vals)
		if i < len(r.keys) {
			keys = append(keys, r.keys[i])
		}
	}
	r.rows, r.keys = rows, keys
}

// sortByKeys sorts rows by their ORDER BY keys.
func (r *rawResult) sortByKeys(order []orderItem) {
	if len(order) == 0 || len(r.keys) != len(r.rows) {
		return
	}
	sk := make([]sortKey, len(order))
	for j, o := range order {
		sk[j] = sortKey{col: fmt.Sprint(j), desc: o.desc, nullsFirst: o.nullsFirst}
	}
	type pair struct {
		row  []any
		keys map[string]any
	}
	ps := make([]pair, len(r.rows))
	for i := range r.rows {
		km := map[string]any{}
		for j, k := range r.keys[i] {
			km[fmt.Sprint(j)] = k
		}
		ps[i] = pair{r.rows[i], km}
	}
	sortStable(len(ps), func(a, b int) bool { return rowLess(ps[a].keys, ps[b].keys, sk) }, func(a, b int) { ps[a], ps[b] = ps[b], ps[a] })
	for i := range ps {
		r.rows[i] = ps[i].row
		r.keys[i] = nil
	}
}

// sortStable is an insertion/merge-free stable sort over indexes.
func sortStable(n int, less func(a, b int) bool, swap func(a, b int)) {
	for i := 1; i < n; i++ {
		for j := i; j > 0 && less(j, j-1); j-- {
			swap(j, j-1)
		}
	}
}

func (x *execCtx) execSelect(s *selectStmt) (*stmtResult, *pgError) {
	res, err := x.selectRaw(s)
	if err != nil {
		return nil, err
	}
	rows := res.wire()
	return &stmtResult{rows: rows, rowCount: intPtr(len(rows)), fields: res.fields}, nil
}

// selectRaw runs a full SELECT (set operations, ORDER BY, LIMIT).
func (x *execCtx) selectRaw(s *selectStmt) (*rawResult, *pgError) {
	var res *rawResult
	if len(s.setOps) == 0 {
		r, err := x.selectCore(s, true)
		if err != nil {
			return nil, err
		}
		r.sortByKeys(s.order)
		res = r
	} else {
		r, err := x.selectCore(s, false)
		if err != nil {
			return nil, err
		}
		for _, op := range s.setOps {
			r2, err := x.selectCore(op.rhs, false)
			if err != nil {
				return nil, err
			}
			if len(r2.fields) != len(r.fields) {
				return nil, &pgError{Code: "42601", Message: fmt.Sprintf("each %s query must have the same number of columns", strings.ToUpper(op.op))}
			}
			for i := range r.fields {
				a, b := r.fields[i].DataTypeID, r2.fields[i].DataTypeID
				switch {
				case a == b, b == 705:
					continue
				case a == 705:
					r.fields[i].DataTypeID = b
					continue
				case isNumericOID(a) && isNumericOID(b):
					r.fields[i].DataTypeID = numericPromote(a, b)
					continue
				}
				return nil, &pgError{Code: "42804", Message: fmt.Sprintf("%s types %s and %s cannot be matched", strings.ToUpper(op.op), typeDisplay(a), typeDisplay(b))}
			}
			r.rows = combine(op, r.rows, r2.rows)
		}
		if len(s.order) > 0 {
			r.keys = make([][]any, len(r.rows))
			var idx []int
			for _, o := range s.order {
				n := -1
				switch v := o.e.(type) {
				case *litExpr:
					if f, ok := v.v.(float64); ok && f == math.Trunc(f) && int(f) >= 1 && int(f) <= len(r.names) {
						n = int(f) - 1
					}
				case *colExpr:
					for i, name := range r.names {
						if v.qual == "" && name == v.name {
							n = i
							break
						}
					}
				}
				if n < 0 {
					return nil, &pgError{Code: "0A000", Message: "invalid UNION/INTERSECT/EXCEPT ORDER BY clause",
						Details: "Only result column names can be used, not expressions or functions."}
				}
				idx = append(idx, n)
			}
			for i, vals := range r.rows {
				keys := make([]any, len(idx))
				for j, n := range idx {
					keys[j] = vals[n]
				}
				r.keys[i] = keys
			}
			r.sortByKeys(s.order)
		}
		res = r
	}
	offset, err := x.intArg(s.offset)
	if err != nil {
		return nil, err
	}
	if offset < 0 {
		offset = 0
	}
	limit, err := x.intArg(s.limit)
	if err != nil {
		return nil, err
	}
	res.rows = pageSlice(res.rows, limit, offset)
	return res, nil
}

func isNumericOID(o int) bool { return isIntOID(o) || o == 1700 || o == 700 || o == 701 }

func typeDisplay(oid int) string {
	if d, ok := pgDataTypes[pgTypeName(oid)]; ok {
		return d
	}
	return "text"
}

// combine applies a set operation to two row lists.
func combine(op setOp, left, right [][]any) [][]any {
	key := func(r []any) string { return string(marshalJSON(r)) }
	var out [][]any
	switch op.op {
	case "union":
		out = append(append(out, left...), right...)
		if !op.all {
			out = distinctRows(out)
		}
	case "intersect", "except":
		count := map[string]int{}
		for _, r := range right {
			count[key(r)]++
		}
		src := left
		if !op.all {
			src = distinctRows(left)
		}
		for _, r := range src {
			k := key(r)
			in := count[k] > 0
			if op.all && in {
				count[k]--
			}
			if in == (op.op == "intersect") {
				out = append(out, r)
			}
		}
	}
	return out
}

func distinctRows(rows [][]any) [][]any {
	seen := map[string]bool{}
	var out [][]any
	for _, r := range rows {
		k := string(marshalJSON(r))
		if !seen[k] {
			seen[k] = true
			out = append(out, r)
		}
	}
	return out
}

// funcTable evaluates a set-returning function in FROM.
func (x *execCtx) funcTable(tr tableRef) (*table, *pgError) {
	f := tr.fn
	args := make([]any, len(f.args))
	for i, a := range f.args {
		v, err := x.eval(a, &env{})
		if err != nil {
			return nil, err
		}
		args[i] = v
	}
	name := f.name
	if tr.alias != "" {
		name = tr.alias
	}
	colName := name
	if tr.colAlias != "" {
		colName = tr.colAlias
	}
	t := &table{name: name}
	switch f.name {
	case "generate_series":
		if len(args) < 2 || len(args) > 3 {
			return nil, &pgError{Code: "42883", Message: "function generate_series() does not exist"}
		}
		oid := 23
		for _, a := range f.args {
			oid = numericPromote(oid, x.exprOID(a, &env{}))
		}
		if args[0] == nil || args[1] == nil || (len(args) == 3 && args[2] == nil) {
			t.columns = []Column{Column{Name: colName, Nullable: true}.withType(pgTypeName(oid), true)}
			return t, nil
		}
		if start, ok := timeOf(args[0]); ok {
			stop, ok2 := timeOf(args[1])
			var step pgInterval
			if len(args) == 3 {
				step, _ = args[2].(pgInterval)
			}
			if !ok2 || (step == pgInterval{}) {
				return nil, &pgError{Code: "42883", Message: "function generate_series(timestamp with time zone, timestamp with time zone) does not exist"}
			}
			t.columns = []Column{Column{Name: colName, Nullable: true}.withType("timestamptz", true)}
			for cur, n := start, 0; !cur.After(stop) && n < 100000; cur, n = addInterval(cur, step, 1), n+1 {
				t.rows = append(t.rows, map[string]any{colName: formatTimestamp(cur)})
			}
			return t, nil
		}
		a, ok1 := toNumber(args[0])
		b, ok2 := toNumber(args[1])
		step := 1.0
		if len(args) == 3 {
			step, _ = toNumber(args[2])
		}
		if !ok1 || !ok2 {
			return nil, &pgError{Code: "42883", Message: "function generate_series(" + jsonType(args[0]) + ", " + jsonType(args[1]) + ") does not exist"}
		}
		if step == 0 {
			return nil, &pgError{Code: "22023", Message: "step size cannot equal zero"}
		}
		pg := pgTypeName(oid)
		if pg == "" {
			pg = "int4"
		}
		t.columns = []Column{Column{Name: colName, Nullable: true}.withType(pg, true)}
		for v, n := a, 0; ((step > 0 && v <= b) || (step < 0 && v >= b)) && n < 1000000; v, n = v+step, n+1 {
			t.rows = append(t.rows, map[string]any{colName: v})
		}
		return t, nil
	case "unnest":
		if len(args) != 1 {
			return nil, &pgError{Code: "42883", Message: "function unnest() does not exist"}
		}
		el := elemOID(x.exprOID(f.args[0], &env{}))
		pg := pgTypeName(el)
		if pg == "" {
			pg = "text"
		}
		t.columns = []Column{Column{Name: colName, Nullable: true}.withType(pg, true)}
		arr, _ := args[0].([]any)
		for _, v := range arr {
			t.rows = append(t.rows, map[string]any{colName: v})
		}
		return t, nil
	}
	return nil, &pgError{Code: "42883", Message: fmt.Sprintf("function %s() does not exist", f.name)}
}

// execExplain answers EXPLAIN of a SELECT (rowCount is null, as node-pg
// reports for EXPLAIN).
func (x *execCtx) execExplain(s *selectStmt, asJSON bool) (*stmtResult, *pgError) {
	res, err := x.selectRaw(s)
	if err != nil {
		return nil, err
	}
	node := "Result"
	rel := ""
	schema := "public"
	if s.from != nil {
		if s.from.fn != nil {
			node = "Function Scan on " + s.from.fn.name
		} else {
			node, rel = "Seq Scan", s.from.name
			if s.from.schema != "" {
				schema = s.from.schema
			}
		}
	}
	fields := []Field{{Name: "QUERY PLAN", DataTypeID: 25}}
	n := len(res.rows)
	if asJSON {
		plan := map[string]any{"Node Type": node, "Parallel Aware": false, "Async Capable": false, "Startup Cost": 0.0, "Total Cost": 0.01,
			"Plan Rows": max(n, 1), "Plan Width": 4, "Actual Startup Time": 0.002, "Actual Total Time": 0.003, "Actual Rows": n, "Actual Loops": 1}
		if rel != "" {
			plan["Relation Name"] = rel
			plan["Schema"] = schema
			plan["Alias"] = rel
		}
		fields[0].DataTypeID = 114
		row := orderedRow{keys: []string{"QUERY PLAN"}, vals: []any{[]any{map[string]any{"Plan": plan, "Planning Time": 0.05, "Triggers": []any{}, "Execution Time": 0.02}}}}
		return &stmtResult{rows: []orderedRow{row}, fields: fields}, nil
	}
	var line string
	if rel != "" {
		line = fmt.Sprintf("%s on %s  (cost=0.00..%d.%02d rows=%d width=%d)", node, rel, 10+n/100, n%100, max(n, 1), 4*max(len(res.fields), 1))
	} else {
		line = fmt.Sprintf("%s  (cost=0.00..0.01 rows=%d width=%d)", node, max(n, 1), 4*max(len(res.fields), 1))
	}
	row := orderedRow{keys: []string{"QUERY PLAN"}, vals: []any{line}}
	return &stmtResult{rows: []orderedRow{row}, fields: fields}, nil
}
