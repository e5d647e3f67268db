package insforgetest

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Executor of the default raw SQL interpreter. It runs parsed statements
// against the in-memory database; d.mu is held by the caller.
// Expressions are in sqleval.go, SELECT in sqlselect.go.

// stmtResult is the node-pg style result of one statement.
type stmtResult struct {
	rows     []orderedRow
	rowCount *int
	fields   []Field
}

type execCtx struct {
	d      *database
	params []any
	now    time.Time
	user   string // current_user: project_admin or postgres
	// publish runs realtime.publish(channel, event, payload); nil outside
	// the raw SQL endpoints.
	publish func(channel, event string, payload map[string]any) (string, bool)
}

func intPtr(n int) *int { return &n }

func ddlResult() *stmtResult { return &stmtResult{rows: []orderedRow{}, fields: []Field{}} }

// exec runs one parsed statement.
func (x *execCtx) exec(st any) (*stmtResult, *pgError) {
	switch s := st.(type) {
	case *selectStmt:
		return x.execSelect(s)
	case *explainStmt:
		return x.execExplain(s.inner, s.json)
	case *showStmt:
		return x.execShow(s)
	case *insertStmt:
		return x.execInsert(s)
	case *updateStmt:
		return x.execUpdate(s)
	case *deleteStmt:
		return x.execDelete(s)
	case *createTableStmt:
		return x.execCreateTable(s)
	case *dropTableStmt:
		return x.execDropTable(s)
	case *truncateStmt:
		var ts []*table
		for _, tr := range s.tbls {
			t, err := x.writable(tr, "truncate")
			if err != nil {
				return nil, err
			}
			ts = append(ts, t)
		}
		for _, t := range ts {
			t.rows = nil
		}
		return ddlResult(), nil
	case *alterTableStmt:
		return x.execAlterTable(s)
	case *createPolicyStmt:
		t, err := x.owned(s.tbl)
		if err != nil {
			return nil, err
		}
		for _, p := range t.policies {
			if p.name == s.name {
				return nil, &pgError{Code: "42710", Message: fmt.Sprintf("policy %q for table %q already exists", s.name, t.name)}
			}
		}
		t.policies = append(t.policies, policy{name: s.name, cmd: s.cmd, roles: s.roles, qual: s.qual, withCheck: s.withCheck})
		return ddlResult(), nil
	case *dropPolicyStmt:
		t, err := x.owned(s.tbl)
		if err != nil {
			return nil, err
		}
		kept := t.policies[:0]
		for _, p := range t.policies {
			if p.name != s.name {
				kept = append(kept, p)
			}
		}
		t.policies = kept
		return ddlResult(), nil
	case *createIndexStmt:
		return x.execCreateIndex(s)
	case *dropIndexStmt:
		return x.execDropIndex(s)
	case *createFunctionStmt:
		if err := x.canCreateIn(s.schema); err != nil {
			return nil, err
		}
		schema := s.schema
		if schema == "" {
			schema = "public"
		}
		kept := x.d.functions[:0]
		for _, f := range x.d.functions {
			if f.schema != schema || f.name != s.name {
				kept = append(kept, f)
			}
		}
		x.d.functions = append(kept, dbFunction{schema: schema, name: s.name, def: functionDef(schema, s.def), kind: s.kind})
		return ddlResult(), nil
	case *createSchemaStmt:
		if s.name == "public" || x.d.schemaExists(s.name) {
			if s.ifNotExists {
				return ddlResult(), nil
			}
			return nil, &pgError{Code: "42P06", Message: fmt.Sprintf("schema %q already exists", s.name)}
		}
		if strings.HasPrefix(s.name, "pg_") {
			return nil, &pgError{Code: "42939", Message: fmt.Sprintf("unacceptable schema name %q", s.name), Details: `The prefix "pg_" is reserved for system schemas.`}
		}
		x.d.schemas[s.name] = &schemaInfo{name: s.name, tables: map[string]*table{}}
		return ddlResult(), nil
	case *dropSchemaStmt:
		return x.execDropSchema(s)
	case *noopStmt:
		if s.tbl != nil {
			t, err := x.table(*s.tbl)
			if err != nil {
				return nil, err
			}
			switch s.privilege {
			case "owner":
				err = x.isOwner(t)
			case "trigger":
				err = x.canWrite(t, "trigger")
			}
			if err != nil {
				return nil, err
			}
		}
		return ddlResult(), nil
	}
	return nil, &pgError{Code: "0A000", Message: "statement not supported"}
}

// ---- table resolution ----

// table resolves a stored table (unqualified names: public).
func (x *execCtx) table(tr tableRef) (*table, *pgError) {
	schema := tr.schema
	if schema == "" {
		schema = "public"
	}
	t, ok := x.d.lookup(schema, tr.name)
	if !ok {
		return nil, errUndefinedTable(tr.String())
	}
	return t, nil
}

// readable resolves a relation for reading: a set-returning function, a
// catalog view or a table (project_admin may read every table).
func (x *execCtx) readable(tr tableRef) (*table, *pgError) {
	if tr.fn != nil {
		return x.funcTable(tr)
	}
	if t := x.virtual(tr); t != nil {
		return t, nil
	}
	return x.table(tr)
}

// writable resolves a table the caller must have priv on (insert, update,
// delete, truncate).
func (x *execCtx) writable(tr tableRef, priv string) (*table, *pgError) {
	t, err := x.table(tr)
	if err != nil {
		return nil, err
	}
	if err := x.canWrite(t, priv); err != nil {
		return nil, err
	}
	return t, nil
}

// owned resolves a table the caller must own (ALTER, DROP, CREATE INDEX,
// CREATE POLICY).
func (x *execCtx) owned(tr tableRef) (*table, *pgError) {
	t, err := x.table(tr)
	if err != nil {
		return nil, err
	}
	if err := x.isOwner(t); err != nil {
		return nil, err
	}
	return t, nil
}

// virtual builds a catalog view from the current tables (nil if tr is
// not one).
func (x *execCtx) virtual(tr tableRef) *table {
	name := tr.String()
	switch name {
	case "information_schema.tables", "information_schema.columns", "information_schema.schemata",
		"pg_catalog.pg_tables", "pg_tables", "pg_catalog.pg_namespace", "pg_namespace":
	default:
		return nil
	}
	all := x.d.allTables()
	str := func(names ...string) []Column {
		out := make([]Column, len(names))
		for i, n := range names {
			out[i] = Column{Name: n, Type: "string", Nullable: true}
		}
		return out
	}
	switch tr.name {
	case "tables":
		t := &table{name: "tables", columns: str("table_catalog", "table_schema", "table_name", "table_type")}
		for _, st := range all {
			t.rows = append(t.rows, map[string]any{"table_catalog": "insforge", "table_schema": st.schemaName(), "table_name": st.name, "table_type": "BASE TABLE"})
		}
		return t
	case "schemata":
		t := &table{name: "schemata", columns: str("catalog_name", "schema_name", "schema_owner")}
		for _, sn := range x.schemaNames() {
			owner := "postgres"
			if si, ok := x.d.schemas[sn]; ok && !si.system {
				owner = "project_admin"
			}
			t.rows = append(t.rows, map[string]any{"catalog_name": "insforge", "schema_name": sn, "schema_owner": owner})
		}
		return t
	case "pg_namespace":
		t := &table{name: "pg_namespace", columns: str("nspname")}
		for _, sn := range x.schemaNames() {
			t.rows = append(t.rows, map[string]any{"nspname": sn})
		}
		return t
	case "columns":
		cols := str("table_catalog", "table_schema", "table_name", "column_name")
		cols = append(cols, Column{Name: "ordinal_position", Type: "integer", Nullable: true})
		cols = append(cols, str("column_default", "is_nullable", "data_type")...)
		cols = append(cols, Column{Name: "character_maximum_length", Type: "integer", Nullable: true})
		cols = append(cols, str("udt_name")...)
		t := &table{name: "columns", columns: cols}
		for _, st := range all {
			for i, c := range st.columns {
				yes := "NO"
				if c.Nullable && !c.PrimaryKey {
					yes = "YES"
				}
				var maxLen any
				if (c.pgType() == "varchar" || c.pgType() == "bpchar") && c.mod != "" {
					if f, ok := toNumber(strings.Trim(c.mod, "()")); ok {
						maxLen = f
					}
				}
				t.rows = append(t.rows, map[string]any{"table_catalog": "insforge", "table_schema": st.schemaName(), "table_name": st.name,
					"column_name": c.Name, "ordinal_position": float64(i + 1), "column_default": renderDefault(st, c),
					"is_nullable": yes, "data_type": dataTypeOfPG(c.pgType()), "character_maximum_length": maxLen, "udt_name": udtNameOfPG(c.pgType())})
			}
		}
		return t
	default: // pg_tables
		t := &table{name: "pg_tables", columns: append(str("schemaname", "tablename", "tableowner"), Column{Name: "rowsecurity", Type: "boolean", Nullable: true})}
		for _, st := range all {
			owner := "project_admin"
			if st.system {
				owner = "postgres"
			}
			t.rows = append(t.rows, map[string]any{"schemaname": st.schemaName(), "tablename": st.name, "tableowner": owner, "rowsecurity": st.rls})
		}
		return t
	}
}

// schemaNames lists the schemas (public first).
func (x *execCtx) schemaNames() []string {
	return append([]string{"public"}, sortedKeys(x.d.schemas)...)
}

// ---- SHOW ----

func (x *execCtx) execShow(s *showStmt) (*stmtResult, *pgError) {
	if s.name == "all" {
		res := &stmtResult{fields: []Field{{Name: "name", DataTypeID: 25}, {Name: "setting", DataTypeID: 25}, {Name: "description", DataTypeID: 25}}}
		for _, k := range sortedKeys(settings) {
			st := settings[k]
			res.rows = append(res.rows, orderedRow{keys: []string{"name", "setting", "description"}, vals: []any{st[0], st[1], ""}})
		}
		return res, nil
	}
	st, ok := settings[strings.ToLower(s.name)]
	if !ok {
		return nil, &pgError{Code: "42704", Message: fmt.Sprintf("unrecognized configuration parameter %q", s.name)}
	}
	val := st[1]
	if strings.ToLower(s.name) == "role" && x.user == "project_admin" {
		val = "project_admin"
	}
	return &stmtResult{
		rows:   []orderedRow{{keys: []string{st[0]}, vals: []any{val}}},
		fields: []Field{{Name: st[0], DataTypeID: 25}},
	}, nil
}

// ---- INSERT / UPDATE / DELETE ----

func (x *execCtx) returning(items []selItem, t *table, ref *tableRef, rows []map[string]any, count int) (*stmtResult, *pgError) {
	if items == nil {
		return &stmtResult{rows: []orderedRow{}, rowCount: intPtr(count), fields: []Field{}}, nil
	}
	out, fields, err := x.project(items, t, ref, rows)
	if err != nil {
		return nil, err
	}
	return &stmtResult{rows: out, rowCount: intPtr(count), fields: fields}, nil
}

func (x *execCtx) execInsert(s *insertStmt) (*stmtResult, *pgError) {
	t, err := x.writable(s.tbl, "insert")
	if err != nil {
		return nil, err
	}
	cols := s.cols
	if cols == nil {
		cols = t.colNames()
	}
	for _, c := range cols {
		if _, _, ok := t.col(c); !ok {
			return nil, errUndefinedColumn(c, t.name)
		}
	}
	rows := s.rows
	if s.defaultRow {
		rows = [][]expr{{}}
		cols = nil
	}
	var conflictCols []string
	if s.conflict != nil {
		conflictCols = s.conflict.cols
		if conflictCols != nil {
			ok := false
			for _, u := range t.uniqueSets() {
				if sameSet(u.cols, conflictCols) {
					ok = true
				}
			}
			if !ok {
				return nil, &pgError{Code: "42P10", Message: "there is no unique or exclusion constraint matching the ON CONFLICT specification"}
			}
		} else if !s.conflict.doNothing {
			return nil, &pgError{Code: "42601", Message: "ON CONFLICT DO UPDATE requires inference specification or constraint name"}
		}
	}
	var affected []map[string]any
	u := newUniqueIndex(t)
	for _, exprs := range rows {
		if len(exprs) > len(cols) {
			return nil, &pgError{Code: "42601", Message: "INSERT has more expressions than target columns"}
		}
		if len(exprs) < len(cols) {
			return nil, &pgError{Code: "42601", Message: "INSERT has more target columns than expressions"}
		}
		in := map[string]any{}
		for i, e := range exprs {
			if _, isDef := e.(*defaultExpr); isDef {
				continue
			}
			v, err := x.eval(e, &env{})
			if err != nil {
				return nil, err
			}
			c, _, _ := t.col(cols[i])
			if v, err = sqlInput(c, v); err != nil {
				return nil, err
			}
			in[cols[i]] = v
		}
		row, err := t.buildRow(in, x.now)
		if err != nil {
			return nil, err
		}
		if s.conflict != nil {
			idx := -1
			if conflictCols != nil {
				idx = u.find(conflictCols, row)
			} else {
				for _, set := range u.sets {
					if idx = u.find(set.cols, row); idx >= 0 {
						break
					}
				}
			}
			if idx >= 0 {
				if s.conflict.doNothing {
					continue
				}
				upd := cloneRow(t.rows[idx])
				explicit, err := x.applySets(t, s.conflict.sets, upd, &env{tbl: t, ref: &s.tbl, row: t.rows[idx], excluded: row}, false)
				if err != nil {
					return nil, err
				}
				t.touchUpdatedAt(upd, explicit, x.now)
				if err := x.d.checkWriteIdx(t, u, upd, idx); err != nil {
					return nil, err
				}
				u.replaceRow(idx, upd)
				affected = append(affected, upd)
				continue
			}
		}
		if err := x.d.checkWriteIdx(t, u, row, -1); err != nil {
			return nil, err
		}
		u.appendRow(row)
		affected = append(affected, row)
	}
	return x.returning(s.returning, t, &s.tbl, affected, len(affected))
}

func (x *execCtx) matchWhere(t *table, ref *tableRef, where expr) ([]int, *pgError) {
	var idx []int
	for i, r := range t.rows {
		if where != nil {
			v, err := x.eval(where, &env{tbl: t, ref: ref, row: r})
			if err != nil {
				return nil, err
			}
			if !truthy(v) {
				continue
			}
		}
		idx = append(idx, i)
	}
	return idx, nil
}

func (x *execCtx) execUpdate(s *updateStmt) (*stmtResult, *pgError) {
	t, err := x.writable(s.tbl, "update")
	if err != nil {
		return nil, err
	}
	idx, err := x.matchWhere(t, &s.tbl, s.where)
	if err != nil {
		return nil, err
	}
	var affected []map[string]any
	u := newUniqueIndex(t)
	for _, i := range idx {
		upd := cloneRow(t.rows[i])
		explicit, err := x.applySets(t, s.sets, upd, &env{tbl: t, ref: &s.tbl, row: t.rows[i]}, true)
		if err != nil {
			return nil, err
		}
		t.touchUpdatedAt(upd, explicit, x.now)
		if err := x.d.checkWriteIdx(t, u, upd, i); err != nil {
			return nil, err
		}
		u.replaceRow(i, upd)
		affected = append(affected, upd)
	}
	return x.returning(s.returning, t, &s.tbl, affected, len(affected))
}

// applySets evaluates SET clauses in ev into upd, a copy of the row being
// updated, and reports whether one of them set updated_at. With
// withDefault (UPDATE), SET col = DEFAULT takes the column's default;
// otherwise DEFAULT fails like anywhere it is not allowed.
func (x *execCtx) applySets(t *table, sets []setClause, upd map[string]any, ev *env, withDefault bool) (bool, *pgError) {
	explicit := false
	for _, sc := range sets {
		c, _, ok := t.col(sc.col)
		if !ok {
			return false, errUndefinedColumn(sc.col, t.name)
		}
		var v any
		var err *pgError
		if _, isDef := sc.e.(*defaultExpr); isDef && withDefault {
			v, err = t.defaultValue(c, x.now)
		} else {
			v, err = x.eval(sc.e, ev)
		}
		if err != nil {
			return false, err
		}
		if v, err = sqlInput(c, v); err != nil {
			return false, err
		}
		if upd[sc.col], err = coerce(c.Type, v); err != nil {
			return false, err
		}
		explicit = explicit || sc.col == "updated_at"
	}
	return explicit, nil
}

func (x *execCtx) execDelete(s *deleteStmt) (*stmtResult, *pgError) {
	t, err := x.writable(s.tbl, "delete")
	if err != nil {
		return nil, err
	}
	idx, err := x.matchWhere(t, &s.tbl, s.where)
	if err != nil {
		return nil, err
	}
	deleted := make([]map[string]any, len(idx))
	for j, i := range idx {
		deleted[j] = t.rows[i]
	}
	if err := x.d.deleteRows(t.displayName(), idx); err != nil {
		return nil, err
	}
	return x.returning(s.returning, t, &s.tbl, deleted, len(deleted))
}

// ---- DDL ----

func (x *execCtx) execCreateTable(s *createTableStmt) (*stmtResult, *pgError) {
	schema := s.tbl.schema
	if schema == "public" {
		schema = ""
	}
	if err := x.canCreateIn(schema); err != nil {
		return nil, err
	}
	if _, exists := x.d.lookup(s.tbl.schema, s.tbl.name); exists {
		if s.ifNotExists {
			return ddlResult(), nil
		}
		return nil, &pgError{Code: "42P07", Message: fmt.Sprintf("relation %q already exists", s.tbl.name)}
	}
	t := &table{name: s.tbl.name, schema: schema}
	seen := map[string]bool{}
	for _, c := range s.cols {
		if seen[c.Name] {
			return nil, &pgError{Code: "42701", Message: fmt.Sprintf("column %q specified more than once", c.Name)}
		}
		seen[c.Name] = true
		t.columns = append(t.columns, c)
	}
	for _, fk := range s.fks {
		if err := x.d.resolveFK(t, &fk, "", x.user); err != nil {
			return nil, err
		}
		t.fks = append(t.fks, fk)
	}
	x.d.putTable(t)
	return ddlResult(), nil
}

func (x *execCtx) execDropTable(s *dropTableStmt) (*stmtResult, *pgError) {
	for _, tr := range s.tbls {
		if tr.schema != "" && !x.d.schemaExists(tr.schema) {
			if s.ifExists {
				continue
			}
			return nil, &pgError{Code: "3F000", Message: fmt.Sprintf("schema %q does not exist", tr.schema)}
		}
		t, ok := x.d.lookup(tr.schema, tr.name)
		if !ok {
			if s.ifExists {
				continue
			}
			return nil, &pgError{Code: "42P01", Message: fmt.Sprintf("table %q does not exist", tr.name)}
		}
		if err := x.isOwner(t); err != nil {
			return nil, err
		}
		if !s.cascade {
			for _, other := range x.d.allTables() {
				if other == t {
					continue
				}
				for _, fk := range other.fks {
					if fk.RefTable == t.displayName() {
						return nil, &pgError{Code: "2BP01", Message: fmt.Sprintf("cannot drop table %s because other objects depend on it", tr.name),
							Details: fmt.Sprintf("constraint %s on table %s depends on table %s", fk.Name, other.name, t.name),
							Hint:    "Use DROP ... CASCADE to drop the dependent objects too."}
					}
				}
			}
		}
		x.d.dropTable(t)
	}
	return ddlResult(), nil
}

func (x *execCtx) execDropSchema(s *dropSchemaStmt) (*stmtResult, *pgError) {
	for _, name := range s.names {
		if name == "public" {
			if x.user != "postgres" {
				return nil, &pgError{Code: "42501", Message: "must be owner of schema public"}
			}
			return nil, &pgError{Code: "2BP01", Message: "cannot drop schema public because other objects depend on it"}
		}
		si, ok := x.d.schemas[name]
		if !ok {
			if s.ifExists {
				continue
			}
			return nil, &pgError{Code: "3F000", Message: fmt.Sprintf("schema %q does not exist", name)}
		}
		if si.system && x.user != "postgres" {
			return nil, &pgError{Code: "42501", Message: "must be owner of schema " + name}
		}
		if len(si.tables) > 0 && !s.cascade {
			first := sortedKeys(si.tables)[0]
			return nil, &pgError{Code: "2BP01", Message: fmt.Sprintf("cannot drop schema %s because other objects depend on it", name),
				Details: fmt.Sprintf("table %s.%s depends on schema %s", name, first, name),
				Hint:    "Use DROP ... CASCADE to drop the dependent objects too."}
		}
		for _, tn := range sortedKeys(si.tables) {
			x.d.dropTable(si.tables[tn])
		}
		delete(x.d.schemas, name)
		kept := x.d.functions[:0]
		for _, f := range x.d.functions {
			if f.schema != name {
				kept = append(kept, f)
			}
		}
		x.d.functions = kept
	}
	return ddlResult(), nil
}

func (x *execCtx) execCreateIndex(s *createIndexStmt) (*stmtResult, *pgError) {
	t, err := x.owned(s.tbl)
	if err != nil {
		return nil, err
	}
	tables, _ := x.d.schemaTables(t.schema)
	taken := func(name string) bool {
		if _, ok := tables[name]; ok {
			return true
		}
		for _, other := range tables {
			for _, ix := range other.allIndexes() {
				if ix.name == name {
					return true
				}
			}
		}
		return false
	}
	if taken(s.name) {
		switch {
		case s.autoName:
			base := s.name
			for i := 1; taken(s.name); i++ {
				s.name = fmt.Sprintf("%s%d", base, i)
			}
		case s.ifNotExists:
			return ddlResult(), nil
		default:
			return nil, &pgError{Code: "42P07", Message: fmt.Sprintf("relation %q already exists", s.name)}
		}
	}
	for _, c := range s.cols {
		col := strings.Trim(strings.Fields(c)[0], `"`)
		if !strings.ContainsAny(col, "()") {
			if _, _, ok := t.col(col); !ok {
				return nil, &pgError{Code: "42703", Message: fmt.Sprintf("column %q does not exist", col)}
			}
		}
	}
	ix := indexInfo{table: t.name, name: s.name, unique: s.unique, cols: s.cols}
	prefix := "CREATE INDEX "
	if s.unique {
		prefix = "CREATE UNIQUE INDEX "
	}
	ix.def = prefix + s.name + " ON " + t.schemaName() + "." + t.name + " USING " + s.method + " (" + strings.Join(s.cols, ", ") + ")"
	if s.unique {
		probe := &table{name: t.name, columns: t.columns, rows: t.rows, extraIdx: []indexInfo{ix}}
		if cols, ok := ix.plainCols(); ok {
			for j, row := range t.rows {
				if probe.findRow(cols, row, j) >= 0 {
					return nil, &pgError{Code: "23505", Message: fmt.Sprintf("could not create unique index %q", s.name)}
				}
			}
		}
	}
	t.extraIdx = append(t.extraIdx, ix)
	return ddlResult(), nil
}

func (x *execCtx) execDropIndex(s *dropIndexStmt) (*stmtResult, *pgError) {
	for _, tr := range s.names {
		tables, _ := x.d.schemaTables(tr.schema)
		found := false
		for _, t := range tables {
			for i, ix := range t.extraIdx {
				if ix.name != tr.name {
					continue
				}
				if err := x.isOwner(t); err != nil {
					return nil, &pgError{Code: "42501", Message: "must be owner of index " + tr.name}
				}
				t.extraIdx = append(t.extraIdx[:i:i], t.extraIdx[i+1:]...)
				found = true
				break
			}
			if !found {
				for _, u := range t.uniqueSets() {
					if u.name == tr.name && !u.index {
						return nil, &pgError{Code: "2BP01", Message: fmt.Sprintf("cannot drop index %s because constraint %s on table %s requires it", u.name, u.name, t.name),
							Hint: fmt.Sprintf("You can drop constraint %s on table %s instead.", u.name, t.name)}
					}
				}
			}
		}
		if !found && !s.ifExists {
			return nil, &pgError{Code: "42704", Message: fmt.Sprintf("index %q does not exist", tr.name)}
		}
	}
	return ddlResult(), nil
}

// dependentFKs lists the foreign keys of other tables that reference
// column col of t.
func (d *database) dependentFKs(t *table, col string) []string {
	var out []string
	for _, other := range d.allTables() {
		if other == t {
			continue
		}
		for _, fk := range other.fks {
			if fk.RefTable == t.displayName() && contains(fk.RefCols, col) {
				out = append(out, fmt.Sprintf("constraint %s on table %s depends on column %s of table %s", fk.Name, other.name, col, t.name))
			}
		}
	}
	return out
}

// dropColumn removes a column of t (a working copy) and the foreign keys
// using it; cascade also drops foreign keys of other tables referencing it.
func (d *database) dropColumn(t *table, name string, cascade bool) *pgError {
	_, i, ok := t.col(name)
	if !ok {
		return errUndefinedColumn(name, t.name)
	}
	if deps := d.dependentFKs(t, name); len(deps) > 0 {
		if !cascade {
			return &pgError{Code: "2BP01", Message: fmt.Sprintf("cannot drop column %s of table %s because other objects depend on it", name, t.name),
				Details: strings.Join(deps, "\n"), Hint: "Use DROP ... CASCADE to drop the dependent objects too."}
		}
		for _, other := range d.allTables() {
			kept := other.fks[:0]
			for _, fk := range other.fks {
				if !(fk.RefTable == t.displayName() && contains(fk.RefCols, name)) {
					kept = append(kept, fk)
				}
			}
			other.fks = kept
		}
	}
	t.columns = append(t.columns[:i:i], t.columns[i+1:]...)
	for _, row := range t.rows {
		delete(row, name)
	}
	kept := t.fks[:0]
	for _, fk := range t.fks {
		if !contains(fk.SourceCols, name) {
			kept = append(kept, fk)
		}
	}
	t.fks = kept
	delete(t.uniqNames, name)
	return nil
}

// renameColumn renames a column of t (a working copy), keeping its
// constraint names and the foreign keys that use or reference it.
func (d *database) renameColumn(t *table, from, to string) *pgError {
	_, i, ok := t.col(from)
	if !ok {
		return errUndefinedColumn(from, t.name)
	}
	if _, _, dup := t.col(to); dup {
		return &pgError{Code: "42701", Message: fmt.Sprintf("column %q of relation %q already exists", to, t.name)}
	}
	t.renameColumnNames(from, to)
	t.columns[i].Name = to
	for _, row := range t.rows {
		row[to] = row[from]
		delete(row, from)
	}
	for fi := range t.fks {
		for j, sc := range t.fks[fi].SourceCols {
			if sc == from {
				t.fks[fi].SourceCols[j] = to
			}
		}
		if t.fks[fi].RefTable == t.displayName() {
			for j, rc := range t.fks[fi].RefCols {
				if rc == from {
					t.fks[fi].RefCols[j] = to
				}
			}
		}
	}
	for _, other := range d.allTables() {
		if other.name == t.name && other.schema == t.schema {
			continue
		}
		for fi := range other.fks {
			if other.fks[fi].RefTable != t.displayName() {
				continue
			}
			for j, rc := range other.fks[fi].RefCols {
				if rc == from {
					other.fks[fi].RefCols[j] = to
				}
			}
		}
	}
	return nil
}

// renameTable renames t (already stored under its old name).
func (d *database) renameTable(t *table, newName string) {
	old := t.displayName()
	d.removeTable(t.schema, t.name)
	t.freezeNames()
	t.name = newName
	d.putTable(t)
	d.renameReferences(old, t.displayName())
}

func (x *execCtx) execAlterTable(s *alterTableStmt) (*stmtResult, *pgError) {
	orig, ok := x.d.lookup(s.tbl.schema, s.tbl.name)
	if !ok {
		if s.ifExists {
			return ddlResult(), nil
		}
		return nil, errUndefinedTable(s.tbl.String())
	}
	if err := x.isOwner(orig); err != nil {
		return nil, err
	}
	t := orig.clone()
	rename := ""
	for _, a := range s.actions {
		switch a.kind {
		case "add":
			if _, _, exists := t.col(a.col.Name); exists {
				if a.ifCond {
					continue
				}
				return nil, &pgError{Code: "42701", Message: fmt.Sprintf("column %q of relation %q already exists", a.col.Name, t.name)}
			}
			t.columns = append(t.columns, a.col)
			for _, row := range t.rows {
				v, err := t.defaultValue(a.col, x.now)
				if err != nil {
					return nil, err
				}
				if v == nil && !a.col.Nullable {
					return nil, &pgError{Code: "23502", Message: fmt.Sprintf("column %q of relation %q contains null values", a.col.Name, t.name)}
				}
				row[a.col.Name] = v
			}
			if a.fk.RefTable != "" {
				fk := a.fk
				if err := x.d.resolveFK(t, &fk, "", x.user); err != nil {
					return nil, err
				}
				t.fks = append(t.fks, fk)
			}
		case "drop":
			if _, _, exists := t.col(a.name); !exists && a.ifCond {
				continue
			}
			if err := x.d.dropColumn(t, a.name, a.cascade); err != nil {
				return nil, err
			}
		case "rename_col":
			if err := x.d.renameColumn(t, a.name, a.newName); err != nil {
				return nil, err
			}
		case "rename":
			if _, exists := x.d.lookup(t.schema, a.newName); exists {
				return nil, &pgError{Code: "42P07", Message: fmt.Sprintf("relation %q already exists", a.newName)}
			}
			rename = a.newName
		case "set_default", "drop_default", "set_not_null", "drop_not_null", "type":
			_, i, exists := t.col(a.name)
			if !exists {
				return nil, errUndefinedColumn(a.name, t.name)
			}
			c := &t.columns[i]
			switch a.kind {
			case "set_default":
				c.Default = a.col.Default
			case "drop_default":
				c.Default = ""
			case "set_not_null":
				for _, row := range t.rows {
					if row[c.Name] == nil {
						return nil, &pgError{Code: "23502", Message: fmt.Sprintf("column %q of relation %q contains null values", c.Name, t.name)}
					}
				}
				c.Nullable = false
			case "drop_not_null":
				c.Nullable = true
			case "type":
				for _, row := range t.rows {
					v, err := coerce(a.col.Type, row[c.Name])
					if err != nil {
						return nil, err
					}
					row[c.Name] = v
				}
				c.Type, c.pg, c.mod = a.col.Type, a.col.pg, a.col.mod
			}
		case "rls_on":
			t.rls = true
		case "rls_off":
			t.rls = false
		case "add_fk":
			fk := a.fk
			if err := x.d.resolveFK(t, &fk, "", x.user); err != nil {
				return nil, err
			}
			for _, row := range t.rows {
				if err := x.d.checkForeignKeys(&table{name: t.name, fks: []foreignKey{fk}}, row); err != nil {
					return nil, err
				}
			}
			t.fks = append(t.fks, fk)
		case "add_unique":
			if len(a.fk.SourceCols) == 1 {
				_, i, exists := t.col(a.fk.SourceCols[0])
				if !exists {
					return nil, errUndefinedColumn(a.fk.SourceCols[0], t.name)
				}
				t.columns[i].Unique = true
				if a.name != "" {
					t.setUniqueName(t.columns[i].Name, a.name)
				}
				for j, row := range t.rows {
					if t.findRow(a.fk.SourceCols, row, j) >= 0 {
						return nil, &pgError{Code: "23505", Message: fmt.Sprintf("could not create unique index %q", t.uniqueName(t.columns[i].Name))}
					}
				}
			}
		case "drop_constraint":
			found := false
			kept := t.fks[:0]
			for _, fk := range t.fks {
				if fk.Name == a.name {
					found = true
					continue
				}
				kept = append(kept, fk)
			}
			t.fks = kept
			for i, c := range t.columns {
				if c.Unique && !c.PrimaryKey && a.name == t.uniqueName(c.Name) {
					t.columns[i].Unique = false
					delete(t.uniqNames, c.Name)
					found = true
				}
			}
			if !found && !a.ifCond {
				return nil, &pgError{Code: "42704", Message: fmt.Sprintf("constraint %q of relation %q does not exist", a.name, t.name)}
			}
		}
	}
	x.d.putTable(t)
	if rename != "" {
		x.d.renameTable(t, rename)
	}
	return ddlResult(), nil
}

// sqlInput converts a value written in SQL for a column: text for a json
// column is parsed as JSON, '{a,b}' for an array column as an array.
func sqlInput(c Column, v any) (any, *pgError) {
	str, ok := v.(string)
	if !ok {
		return v, nil
	}
	switch {
	case c.Type == "json":
		var j any
		if json.Unmarshal([]byte(str), &j) != nil {
			return nil, &pgError{Code: "22P02", Message: "invalid input syntax for type " + dataTypeOfPG(c.pgType())}
		}
		return j, nil
	case strings.HasSuffix(c.pgType(), "[]"):
		arr, ok := parsePGArray(str)
		if !ok {
			return nil, &pgError{Code: "22P02", Message: fmt.Sprintf("malformed array literal: %q", str)}
		}
		return arr, nil
	}
	return v, nil
}

// parsePGArray parses a one-dimensional array literal ({a,"b c",NULL}).
func parsePGArray(s string) ([]any, bool) {
	s = strings.TrimSpace(s)
	if len(s) < 2 || s[0] != '{' || s[len(s)-1] != '}' {
		return nil, false
	}
	body := s[1 : len(s)-1]
	out := []any{}
	if strings.TrimSpace(body) == "" {
		return out, true
	}
	var cur strings.Builder
	quoted, wasQuoted := false, false
	flush := func() {
		v := cur.String()
		if !wasQuoted {
			v = strings.TrimSpace(v)
		}
		if !wasQuoted && strings.EqualFold(v, "null") {
			out = append(out, nil)
		} else {
			out = append(out, v)
		}
		cur.Reset()
		wasQuoted = false
	}
	for i := 0; i < len(body); i++ {
		c := body[i]
		switch {
		case c == '\\' && i+1 < len(body):
			i++
			cur.WriteByte(body[i])
		case c == '"':
			quoted = !quoted
			wasQuoted = true
		case c == ',' && !quoted:
			flush()
		default:
			cur.WriteByte(c)
		}
	}
	if quoted {
		return nil, false
	}
	flush()
	return out, true
}
