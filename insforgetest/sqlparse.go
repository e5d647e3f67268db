package insforgetest

import (
	"errors"
	"strconv"
	"strings"
)

// A small SQL parser for the default raw SQL interpreter. It understands a
// useful subset of Postgres: SELECT (one table or generate_series(), WHERE,
// GROUP BY, HAVING, ORDER BY, LIMIT, OFFSET, DISTINCT, aggregates, CASE,
// ARRAY[…], interval literals, UNION/INTERSECT/EXCEPT of such selects),
// SHOW, INSERT (VALUES, ON CONFLICT, RETURNING), UPDATE, DELETE,
// CREATE/DROP/ALTER/TRUNCATE TABLE, CREATE/DROP SCHEMA, CREATE
// POLICY/INDEX/FUNCTION (recorded for the listings) and a set of
// statements accepted as no-ops (GRANT … ON, COMMENT, CREATE TRIGGER, …).
// Anything else (joins, subqueries, window functions, CTEs, …) is reported
// as unparseable, which the endpoints answer like libpg-query parse
// failures (403); tests that need such SQL install a handler with
// Server.SetSQLHandler.

var errUnparseable = errors.New("unparseable")

// ---- AST ----

type expr interface{}

type (
	litExpr struct {
		v       any
		decimal bool   // a numeric literal written with a point or exponent
		text    string // the source text of a numeric literal
	}
	arrayExpr struct{ elems []expr }
	caseExpr  struct {
		operand expr // CASE operand WHEN … (nil for searched CASE)
		whens   []caseWhen
		els     expr
	}
	paramExpr struct{ n int }
	colExpr   struct{ qual, name string }
	funcExpr  struct {
		name string
		args []expr
		star bool
	}
	binExpr struct {
		op   string
		l, r expr
	}
	notExpr struct{ e expr }
	negExpr struct{ e expr }
	isExpr  struct {
		e    expr
		not  bool
		what string // null, true, false
	}
	inExpr struct {
		e    expr
		list []expr
		not  bool
	}
	betweenExpr struct {
		e, lo, hi expr
		not       bool
	}
	castExpr struct {
		e   expr
		typ string
	}
	defaultExpr struct{}
)

type caseWhen struct{ cond, then expr }

type selItem struct {
	star  bool
	e     expr
	alias string
}

type tableRef struct {
	schema, name, alias string
	fn                  *funcExpr // a set-returning function in FROM (generate_series)
	colAlias            string    // fn AS alias(col)
}

func (t tableRef) String() string {
	if t.schema != "" {
		return t.schema + "." + t.name
	}
	return t.name
}

type orderItem struct {
	e          expr
	desc       bool
	nullsFirst *bool
}

type selectStmt struct {
	distinct bool
	items    []selItem
	from     *tableRef
	where    expr
	groupBy  []expr
	having   expr
	order    []orderItem
	limit    expr
	offset   expr
	setOps   []setOp // UNION / INTERSECT / EXCEPT with further selects
}

// setOp combines the result so far with another select.
type setOp struct {
	op  string // union, intersect, except
	all bool
	rhs *selectStmt
}

// showStmt is SHOW name.
type showStmt struct{ name string }

type createSchemaStmt struct {
	name        string
	ifNotExists bool
}

type dropSchemaStmt struct {
	names    []string
	ifExists bool
	cascade  bool
}

type setClause struct {
	col string
	e   expr
}

type insertStmt struct {
	tbl        tableRef
	cols       []string
	rows       [][]expr
	conflict   *conflictClause
	returning  []selItem
	defaultRow bool
}

type conflictClause struct {
	cols      []string
	doNothing bool
	sets      []setClause
}

type updateStmt struct {
	tbl       tableRef
	sets      []setClause
	where     expr
	returning []selItem
}

type deleteStmt struct {
	tbl       tableRef
	where     expr
	returning []selItem
}

type createTableStmt struct {
	ifNotExists bool
	tbl         tableRef
	cols        []Column
	fks         []foreignKey
}

type dropTableStmt struct {
	ifExists bool
	cascade  bool
	tbls     []tableRef
}

type truncateStmt struct{ tbls []tableRef }

type alterAction struct {
	kind    string // add, drop, rename_col, rename, set_default, drop_default, set_not_null, drop_not_null, type, rls_on, rls_off, add_fk, add_unique, drop_constraint, noop
	col     Column
	name    string
	newName string
	ifCond  bool // IF EXISTS / IF NOT EXISTS
	cascade bool // DROP … CASCADE
	fk      foreignKey
}

type alterTableStmt struct {
	ifExists bool
	tbl      tableRef
	actions  []alterAction
}

type createPolicyStmt struct {
	tbl                        tableRef
	name, cmd, qual, withCheck string
	roles                      []string
}

type createIndexStmt struct {
	tbl         tableRef
	name        string
	unique      bool
	ifNotExists bool
	autoName    bool // no name given: Postgres picks a free one
	method      string
	cols        []string // index elements as written
	def         string
}

type dropIndexStmt struct {
	names    []tableRef
	ifExists bool
}

type createFunctionStmt struct {
	schema, name, def string
	kind              string // f (function) or p (procedure)
}

// noopStmt is accepted and does nothing; tbl, if set, must exist (and
// be owned by the caller when owner is set, e.g. CREATE TRIGGER).
type noopStmt struct {
	tbl        *tableRef
	privilege  string // privilege needed on tbl ("" none, "owner", "trigger")
	removeType string // DROP statements: OBJECT_INDEX, OBJECT_VIEW, … (dry-run risk analysis)
}

type explainStmt struct {
	inner *selectStmt
	json  bool
}

// ---- parser ----

type parser struct {
	toks []token
	pos  int
	src  string
}

func (p *parser) peek() token {
	if p.pos < len(p.toks) {
		return p.toks[p.pos]
	}
	return token{kind: tkOp, val: "<eof>", start: len(p.src), end: len(p.src)}
}

func (p *parser) peekN(n int) token {
	if p.pos+n < len(p.toks) {
		return p.toks[p.pos+n]
	}
	return token{kind: tkOp, val: "<eof>"}
}

func (p *parser) eof() bool { return p.pos >= len(p.toks) }

func (p *parser) next() token {
	t := p.peek()
	p.pos++
	return t
}

// cascadeOrRestrict reads DROP's optional CASCADE or RESTRICT and reports
// CASCADE.
func (p *parser) cascadeOrRestrict() bool {
	if p.acceptKw("cascade") {
		return true
	}
	p.acceptKw("restrict")
	return false
}

func (p *parser) acceptKw(kws ...string) bool {
	for i, kw := range kws {
		if !p.peekN(i).is(kw) {
			return false
		}
	}
	p.pos += len(kws)
	return true
}

func (p *parser) expectKw(kws ...string) {
	if !p.acceptKw(kws...) {
		panic(errUnparseable)
	}
}

func (p *parser) acceptOp(op string) bool {
	if p.peek().isOp(op) {
		p.pos++
		return true
	}
	return false
}

func (p *parser) expectOp(op string) {
	if !p.acceptOp(op) {
		panic(errUnparseable)
	}
}

// reserved words that cannot be bare column aliases or identifiers here.
var reservedWords = map[string]bool{
	"select": true, "from": true, "where": true, "order": true, "by": true, "limit": true, "offset": true,
	"group": true, "having": true, "union": true, "intersect": true, "except": true, "join": true,
	"inner": true, "left": true, "right": true, "full": true, "cross": true, "on": true, "as": true,
	"and": true, "or": true, "not": true, "returning": true, "values": true, "set": true, "into": true,
	"window": true, "fetch": true, "for": true, "using": true, "natural": true, "lateral": true,
	"is": true, "in": true, "like": true, "ilike": true, "between": true, "asc": true, "desc": true,
	"nulls": true, "null": true, "true": true, "false": true, "case": true, "when": true, "then": true,
	"else": true, "end": true, "distinct": true, "all": true, "with": true, "default": true,
}

// ident reads an identifier (unquoted non-reserved or quoted).
func (p *parser) ident() string {
	t := p.peek()
	if t.kind == tkQIdent || (t.kind == tkIdent && !reservedWords[t.val]) {
		p.pos++
		return t.val
	}
	panic(errUnparseable)
}

// anyIdent reads an identifier, allowing reserved words (for names after
// keywords like TABLE, COLUMN).
func (p *parser) anyIdent() string {
	t := p.peek()
	if t.kind == tkQIdent || t.kind == tkIdent {
		p.pos++
		return t.val
	}
	panic(errUnparseable)
}

func (p *parser) tableName() tableRef {
	name := p.anyIdent()
	if p.acceptOp(".") {
		return tableRef{schema: name, name: p.anyIdent()}
	}
	return tableRef{name: name}
}

func (p *parser) identList() []string {
	p.expectOp("(")
	var out []string
	for {
		out = append(out, p.anyIdent())
		if !p.acceptOp(",") {
			break
		}
	}
	p.expectOp(")")
	return out
}

// skipBalanced skips a parenthesised group starting at "(".
func (p *parser) skipBalanced() {
	p.expectOp("(")
	depth := 1
	for depth > 0 {
		if p.eof() {
			panic(errUnparseable)
		}
		t := p.next()
		if t.isOp("(") {
			depth++
		} else if t.isOp(")") {
			depth--
		}
	}
}

// textFrom returns the source text of tokens [from, p.pos).
func (p *parser) textFrom(from int) string {
	if from >= p.pos || from >= len(p.toks) {
		return ""
	}
	last := p.pos - 1
	if last >= len(p.toks) {
		last = len(p.toks) - 1
	}
	return strings.TrimSpace(p.src[p.toks[from].start:p.toks[last].end])
}

// parseStatement parses one statement. It returns errUnparseable for
// unsupported or invalid SQL.
func parseStatement(rs rawStatement) (st any, err error) {
	p := &parser{toks: rs.toks, src: rs.text}
	// token offsets are relative to the whole query: rebase on the statement.
	base := rs.toks[0].start
	toks := make([]token, len(rs.toks))
	for i, t := range rs.toks {
		t.start -= base
		t.end -= base
		toks[i] = t
	}
	p.toks = toks
	defer func() {
		if r := recover(); r != nil {
			if e, ok := r.(error); ok && errors.Is(e, errUnparseable) {
				st, err = nil, errUnparseable
				return
			}
			panic(r)
		}
	}()
	st = p.statement()
	if !p.eof() {
		return nil, errUnparseable
	}
	return st, nil
}

func (p *parser) statement() any {
	t := p.peek()
	switch {
	case t.is("select"):
		return p.selectStmt()
	case t.is("insert"):
		return p.insertStmt()
	case t.is("update"):
		return p.updateStmt()
	case t.is("delete"):
		return p.deleteStmt()
	case t.is("create"):
		return p.createStmt()
	case t.is("drop"):
		return p.dropStmt()
	case t.is("alter"):
		p.next()
		if p.peek().is("table") {
			return p.alterTable()
		}
		return p.noopRest()
	case t.is("truncate"):
		p.next()
		p.acceptKw("table")
		p.acceptKw("only")
		st := &truncateStmt{}
		for {
			st.tbls = append(st.tbls, p.tableName())
			if !p.acceptOp(",") {
				break
			}
		}
		for p.acceptKw("restart", "identity") || p.acceptKw("continue", "identity") || p.acceptKw("cascade") || p.acceptKw("restrict") {
		}
		return st
	case t.is("explain"):
		p.next()
		st := &explainStmt{}
		if p.peek().isOp("(") {
			from := p.pos
			p.skipBalanced()
			st.json = strings.Contains(strings.ToLower(p.textFrom(from)), "json")
		} else {
			p.acceptKw("analyze")
			p.acceptKw("verbose")
		}
		if !p.peek().is("select") {
			panic(errUnparseable)
		}
		st.inner = p.selectStmt()
		return st
	case t.is("show"):
		p.next()
		if p.acceptKw("all") {
			return &showStmt{name: "all"}
		}
		name := p.anyIdent()
		for p.acceptOp(".") {
			name += "." + p.anyIdent()
		}
		if p.acceptKw("time", "zone") {
			name = "timezone"
		} else if name == "transaction" && p.acceptKw("isolation", "level") {
			name = "transaction_isolation"
		}
		return &showStmt{name: name}
	case t.is("grant"), t.is("revoke"), t.is("comment"), t.is("notify"), t.is("listen"), t.is("unlisten"),
		t.is("analyze"), t.is("vacuum"), t.is("do"), t.is("set"), t.is("reset"), t.is("reindex"),
		t.is("refresh"), t.is("security"), t.is("cluster"):
		return p.noopRest()
	}
	panic(errUnparseable)
}

// noopRest accepts the rest of the statement (it must be lexically valid).
func (p *parser) noopRest() any {
	depth := 0
	for !p.eof() {
		t := p.next()
		if t.isOp("(") {
			depth++
		} else if t.isOp(")") {
			depth--
			if depth < 0 {
				panic(errUnparseable)
			}
		}
	}
	if depth != 0 {
		panic(errUnparseable)
	}
	return &noopStmt{}
}

// ---- SELECT ----

func (p *parser) selectList() []selItem {
	var items []selItem
	for {
		if p.acceptOp("*") {
			items = append(items, selItem{star: true})
		} else if (p.peek().kind == tkIdent || p.peek().kind == tkQIdent) && p.peekN(1).isOp(".") && p.peekN(2).isOp("*") {
			p.pos += 3
			items = append(items, selItem{star: true})
		} else {
			it := selItem{e: p.expr()}
			if p.acceptKw("as") {
				it.alias = p.anyIdent()
			} else if t := p.peek(); t.kind == tkQIdent || (t.kind == tkIdent && !reservedWords[t.val]) {
				it.alias = p.ident()
			}
			items = append(items, it)
		}
		if !p.acceptOp(",") {
			return items
		}
	}
}

func (p *parser) selectStmt() *selectStmt {
	st := p.selectCore()
	for {
		var op string
		switch {
		case p.acceptKw("union"):
			op = "union"
		case p.acceptKw("intersect"):
			op = "intersect"
		case p.acceptKw("except"):
			op = "except"
		}
		if op == "" {
			break
		}
		all := p.acceptKw("all")
		if !all {
			p.acceptKw("distinct")
		}
		if !p.peek().is("select") {
			panic(errUnparseable) // parenthesised operands are not supported
		}
		st.setOps = append(st.setOps, setOp{op: op, all: all, rhs: p.selectCore()})
	}
	if p.acceptKw("order", "by") {
		for {
			oi := orderItem{e: p.expr()}
			if p.acceptKw("desc") {
				oi.desc = true
			} else {
				p.acceptKw("asc")
			}
			if p.acceptKw("nulls", "first") {
				b := true
				oi.nullsFirst = &b
			} else if p.acceptKw("nulls", "last") {
				b := false
				oi.nullsFirst = &b
			}
			st.order = append(st.order, oi)
			if !p.acceptOp(",") {
				break
			}
		}
	}
	for i := 0; i < 2; i++ {
		if p.acceptKw("limit") {
			if p.acceptKw("all") {
				continue
			}
			st.limit = p.expr()
		} else if p.acceptKw("offset") {
			st.offset = p.expr()
			p.acceptKw("rows")
			p.acceptKw("row")
		}
	}
	return st
}

// selectCore parses SELECT … [FROM …] [WHERE …] [GROUP BY …] [HAVING …].
func (p *parser) selectCore() *selectStmt {
	p.expectKw("select")
	st := &selectStmt{}
	if p.acceptKw("distinct") {
		st.distinct = true
		if p.peek().is("on") {
			panic(errUnparseable)
		}
	}
	p.acceptKw("all")
	st.items = p.selectList()
	if p.acceptKw("from") {
		var tr tableRef
		if t := p.peek(); t.kind == tkIdent && p.peekN(1).isOp("(") {
			fe, ok := p.primary().(*funcExpr)
			if !ok || (fe.name != "generate_series" && fe.name != "unnest") {
				panic(errUnparseable)
			}
			tr = tableRef{name: fe.name, fn: fe}
		} else {
			tr = p.tableName()
		}
		if p.acceptKw("as") {
			tr.alias = p.anyIdent()
		} else if t := p.peek(); t.kind == tkQIdent || (t.kind == tkIdent && !reservedWords[t.val]) {
			tr.alias = p.ident()
		}
		if tr.fn != nil && tr.alias != "" && p.peek().isOp("(") {
			cols := p.identList()
			if len(cols) != 1 {
				panic(errUnparseable)
			}
			tr.colAlias = cols[0]
		}
		st.from = &tr
		if p.peek().isOp(",") || p.peek().is("join") || p.peek().is("inner") || p.peek().is("left") ||
			p.peek().is("right") || p.peek().is("full") || p.peek().is("cross") || p.peek().is("natural") {
			panic(errUnparseable) // joins are not supported
		}
	}
	if p.acceptKw("where") {
		st.where = p.expr()
	}
	if p.acceptKw("group", "by") {
		for {
			st.groupBy = append(st.groupBy, p.expr())
			if !p.acceptOp(",") {
				break
			}
		}
	}
	if p.acceptKw("having") {
		st.having = p.expr()
	}
	return st
}

// ---- expressions ----

func (p *parser) expr() expr { return p.orExpr() }

func (p *parser) orExpr() expr {
	l := p.andExpr()
	for p.acceptKw("or") {
		l = &binExpr{op: "or", l: l, r: p.andExpr()}
	}
	return l
}

func (p *parser) andExpr() expr {
	l := p.notExpr()
	for p.acceptKw("and") {
		l = &binExpr{op: "and", l: l, r: p.notExpr()}
	}
	return l
}

func (p *parser) notExpr() expr {
	if p.acceptKw("not") {
		return &notExpr{p.notExpr()}
	}
	return p.cmpExpr()
}

var cmpOps = map[string]string{"=": "=", "<>": "<>", "!=": "<>", "<": "<", ">": ">", "<=": "<=", ">=": ">=",
	"~~": "like", "~~*": "ilike", "!~~": "not like", "!~~*": "not ilike"}

func (p *parser) cmpExpr() expr {
	l := p.concatExpr()
	for {
		t := p.peek()
		if t.kind == tkOp {
			if op, ok := cmpOps[t.val]; ok {
				p.next()
				l = &binExpr{op: op, l: l, r: p.concatExpr()}
				continue
			}
			return l
		}
		switch {
		case p.acceptKw("is"):
			not := p.acceptKw("not")
			switch {
			case p.acceptKw("null"):
				l = &isExpr{e: l, not: not, what: "null"}
			case p.acceptKw("true"):
				l = &isExpr{e: l, not: not, what: "true"}
			case p.acceptKw("false"):
				l = &isExpr{e: l, not: not, what: "false"}
			default:
				panic(errUnparseable)
			}
		case p.peek().is("not") && (p.peekN(1).is("in") || p.peekN(1).is("like") || p.peekN(1).is("ilike") || p.peekN(1).is("between")):
			p.next()
			l = p.cmpTail(l, true)
		case p.peek().is("in") || p.peek().is("like") || p.peek().is("ilike") || p.peek().is("between"):
			l = p.cmpTail(l, false)
		default:
			return l
		}
	}
}

func (p *parser) cmpTail(l expr, not bool) expr {
	switch {
	case p.acceptKw("in"):
		p.expectOp("(")
		if p.peek().is("select") {
			panic(errUnparseable)
		}
		ie := &inExpr{e: l, not: not}
		for {
			ie.list = append(ie.list, p.expr())
			if !p.acceptOp(",") {
				break
			}
		}
		p.expectOp(")")
		return ie
	case p.acceptKw("like"), p.acceptKw("ilike"):
		op := p.toks[p.pos-1].val
		if not {
			op = "not " + op
		}
		return &binExpr{op: op, l: l, r: p.concatExpr()}
	case p.acceptKw("between"):
		lo := p.concatExpr()
		p.expectKw("and")
		return &betweenExpr{e: l, lo: lo, hi: p.concatExpr(), not: not}
	}
	panic(errUnparseable)
}

func (p *parser) concatExpr() expr { return p.leftAssoc(p.addExpr, "||") }

func (p *parser) addExpr() expr { return p.leftAssoc(p.mulExpr, "+", "-") }

func (p *parser) mulExpr() expr { return p.leftAssoc(p.unaryExpr, "*", "/", "%") }

// leftAssoc parses operands (next) joined by the left-associative operators
// ops of one precedence level.
func (p *parser) leftAssoc(next func() expr, ops ...string) expr {
	l := next()
	for {
		op := ""
		for _, o := range ops {
			if p.acceptOp(o) {
				op = o
				break
			}
		}
		if op == "" {
			return l
		}
		l = &binExpr{op: op, l: l, r: next()}
	}
}

func (p *parser) unaryExpr() expr {
	if p.acceptOp("-") {
		return &negExpr{p.unaryExpr()}
	}
	if p.acceptOp("+") {
		return p.unaryExpr()
	}
	e := p.primary()
	for p.acceptOp("::") {
		e = &castExpr{e: e, typ: p.typeName()}
	}
	return e
}

// typeName reads a type name such as "timestamp with time zone",
// "varchar(20)" or "text[]".
func (p *parser) typeName() string {
	from := p.pos
	p.anyIdent()
	for {
		t := p.peek()
		if t.kind == tkIdent && (t.val == "precision" || t.val == "varying" || t.val == "with" || t.val == "without" || t.val == "time" || t.val == "zone") {
			p.next()
			continue
		}
		break
	}
	if p.acceptOp(".") {
		p.anyIdent()
	}
	if p.peek().isOp("(") {
		p.skipBalanced()
	}
	for p.peek().isOp("[") {
		p.next()
		if p.peek().kind == tkNumber {
			p.next()
		}
		p.expectOp("]")
	}
	return strings.ToLower(strings.Join(strings.Fields(p.textFrom(from)), " "))
}

func (p *parser) primary() expr {
	t := p.peek()
	switch t.kind {
	case tkNumber:
		p.next()
		return &litExpr{v: numberValue(t.val), decimal: strings.ContainsAny(t.val, ".eE"), text: t.val}
	case tkString:
		p.next()
		return &litExpr{v: t.val}
	case tkParam:
		p.next()
		n, err := strconv.Atoi(t.val)
		if err != nil || n < 1 {
			panic(errUnparseable)
		}
		return &paramExpr{n}
	case tkOp:
		if p.acceptOp("(") {
			if p.peek().is("select") {
				panic(errUnparseable)
			}
			e := p.expr()
			p.expectOp(")")
			return e
		}
		panic(errUnparseable)
	case tkQIdent:
		return p.columnRef()
	}
	// identifiers and keywords
	switch t.val {
	case "null":
		p.next()
		return &litExpr{v: nil}
	case "true":
		p.next()
		return &litExpr{v: true}
	case "false":
		p.next()
		return &litExpr{v: false}
	case "default":
		p.next()
		return &defaultExpr{}
	case "current_timestamp", "current_date", "current_user", "session_user", "current_schema", "localtimestamp", "now":
		if !p.peekN(1).isOp("(") {
			p.next()
			return &funcExpr{name: t.val}
		}
	case "array":
		if p.peekN(1).isOp("[") {
			p.next()
			p.next()
			ae := &arrayExpr{}
			if !p.peek().isOp("]") {
				for {
					ae.elems = append(ae.elems, p.expr())
					if !p.acceptOp(",") {
						break
					}
				}
			}
			p.expectOp("]")
			return ae
		}
		panic(errUnparseable)
	case "interval", "date", "timestamp", "timestamptz", "time", "timetz", "uuid", "json", "jsonb", "numeric", "text":
		// typed literal: interval '1 day', date '2026-01-02', …
		if p.peekN(1).kind == tkString {
			p.next()
			lit := p.next()
			typ := t.val
			if t.val == "timestamp" && p.peek().is("with") {
				p.expectKw("with", "time", "zone")
				typ = "timestamptz"
			}
			return &castExpr{e: &litExpr{v: lit.val}, typ: typ}
		}
		if t.val == "interval" {
			panic(errUnparseable)
		}
	case "case":
		p.next()
		ce := &caseExpr{}
		if !p.peek().is("when") {
			ce.operand = p.expr()
		}
		for p.acceptKw("when") {
			w := caseWhen{cond: p.expr()}
			p.expectKw("then")
			w.then = p.expr()
			ce.whens = append(ce.whens, w)
		}
		if len(ce.whens) == 0 {
			panic(errUnparseable)
		}
		if p.acceptKw("else") {
			ce.els = p.expr()
		}
		p.expectKw("end")
		return ce
	case "exists", "row":
		panic(errUnparseable)
	}
	if reservedWords[t.val] {
		panic(errUnparseable)
	}
	if p.peekN(1).isOp("(") {
		p.next()
		p.next()
		f := &funcExpr{name: t.val}
		if p.acceptOp("*") {
			f.star = true
		} else if !p.peek().isOp(")") {
			p.acceptKw("distinct")
			for {
				f.args = append(f.args, p.expr())
				if !p.acceptOp(",") {
					break
				}
			}
		}
		p.expectOp(")")
		if p.peek().is("over") || p.peek().is("filter") {
			panic(errUnparseable)
		}
		return f
	}
	if p.peekN(1).isOp(".") && (p.peekN(2).kind == tkIdent || p.peekN(2).kind == tkQIdent) && p.peekN(3).isOp("(") {
		// schema-qualified function call: schema.fn(...)
		schema := p.next().val
		p.next()
		name := p.next().val
		p.next()
		f := &funcExpr{name: schema + "." + name}
		if !p.peek().isOp(")") {
			for {
				f.args = append(f.args, p.expr())
				if !p.acceptOp(",") {
					break
				}
			}
		}
		p.expectOp(")")
		return f
	}
	return p.columnRef()
}

func (p *parser) columnRef() expr {
	name := p.anyIdent()
	if p.acceptOp(".") {
		return &colExpr{qual: name, name: p.anyIdent()}
	}
	return &colExpr{name: name}
}

// ---- INSERT / UPDATE / DELETE ----

func (p *parser) returning() []selItem {
	if p.acceptKw("returning") {
		return p.selectList()
	}
	return nil
}

func (p *parser) insertStmt() *insertStmt {
	p.expectKw("insert", "into")
	st := &insertStmt{tbl: p.tableName()}
	if p.acceptKw("as") {
		st.tbl.alias = p.anyIdent()
	}
	if p.peek().isOp("(") {
		st.cols = p.identList()
	}
	switch {
	case p.acceptKw("default", "values"):
		st.defaultRow = true
	case p.acceptKw("values"):
		for {
			p.expectOp("(")
			var row []expr
			for {
				row = append(row, p.expr())
				if !p.acceptOp(",") {
					break
				}
			}
			p.expectOp(")")
			st.rows = append(st.rows, row)
			if !p.acceptOp(",") {
				break
			}
		}
	default:
		panic(errUnparseable)
	}
	if p.acceptKw("on", "conflict") {
		cc := &conflictClause{}
		if p.peek().isOp("(") {
			cc.cols = p.identList()
		} else if p.acceptKw("on", "constraint") {
			p.anyIdent()
		}
		p.expectKw("do")
		if p.acceptKw("nothing") {
			cc.doNothing = true
		} else {
			p.expectKw("update", "set")
			cc.sets = p.setList()
		}
		st.conflict = cc
	}
	st.returning = p.returning()
	return st
}

func (p *parser) setList() []setClause {
	var out []setClause
	for {
		col := p.anyIdent()
		p.expectOp("=")
		out = append(out, setClause{col: col, e: p.expr()})
		if !p.acceptOp(",") {
			return out
		}
	}
}

func (p *parser) updateStmt() *updateStmt {
	p.expectKw("update")
	p.acceptKw("only")
	st := &updateStmt{tbl: p.tableName()}
	if p.acceptKw("as") {
		st.tbl.alias = p.anyIdent()
	} else if t := p.peek(); t.kind == tkIdent && !reservedWords[t.val] {
		st.tbl.alias = p.ident()
	}
	p.expectKw("set")
	st.sets = p.setList()
	if p.peek().is("from") {
		panic(errUnparseable)
	}
	if p.acceptKw("where") {
		st.where = p.expr()
	}
	st.returning = p.returning()
	return st
}

func (p *parser) deleteStmt() *deleteStmt {
	p.expectKw("delete", "from")
	p.acceptKw("only")
	st := &deleteStmt{tbl: p.tableName()}
	if p.acceptKw("as") {
		st.tbl.alias = p.anyIdent()
	} else if t := p.peek(); t.kind == tkIdent && !reservedWords[t.val] {
		st.tbl.alias = p.ident()
	}
	if p.peek().is("using") {
		panic(errUnparseable)
	}
	if p.acceptKw("where") {
		st.where = p.expr()
	}
	st.returning = p.returning()
	return st
}

// ---- DDL ----

func (p *parser) createStmt() any {
	p.expectKw("create")
	p.acceptKw("or", "replace")
	switch {
	case p.acceptKw("table"), p.acceptKw("unlogged", "table"):
		return p.createTable()
	case p.peek().is("temp") || p.peek().is("temporary"):
		panic(errUnparseable)
	case p.acceptKw("policy"):
		return p.createPolicy()
	case p.peek().is("unique") || p.peek().is("index"):
		return p.createIndex()
	case p.peek().is("function") || p.peek().is("procedure"):
		kind := "f"
		if p.next().is("procedure") {
			kind = "p"
		}
		ref := p.tableName()
		p.noopRest()
		return &createFunctionStmt{schema: ref.schema, name: ref.name, def: p.textFrom(0), kind: kind}
	case p.acceptKw("trigger"), p.acceptKw("constraint", "trigger"):
		p.anyIdent()
		for !p.eof() && !p.peek().is("on") {
			p.next()
		}
		p.expectKw("on")
		tr := p.tableName()
		p.noopRest()
		return &noopStmt{tbl: &tr, privilege: "trigger"}
	case p.acceptKw("schema"):
		st := &createSchemaStmt{ifNotExists: p.acceptKw("if", "not", "exists")}
		if p.acceptKw("authorization") {
			st.name = p.anyIdent()
		} else {
			st.name = p.anyIdent()
			if p.acceptKw("authorization") {
				p.anyIdent()
			}
		}
		if !p.eof() {
			panic(errUnparseable) // schema elements are not supported
		}
		return st
	case p.peek().is("view"), p.peek().is("materialized"), p.peek().is("extension"),
		p.peek().is("type"), p.peek().is("sequence"), p.peek().is("domain"), p.peek().is("publication"):
		return p.noopRest()
	}
	panic(errUnparseable)
}

var columnConstraintStart = map[string]bool{"constraint": true, "not": true, "null": true, "primary": true, "unique": true,
	"default": true, "references": true, "check": true, "generated": true, "collate": true}

func (p *parser) createTable() *createTableStmt {
	st := &createTableStmt{}
	if p.acceptKw("if", "not", "exists") {
		st.ifNotExists = true
	}
	st.tbl = p.tableName()
	p.expectOp("(")
	for {
		t := p.peek()
		if t.is("constraint") || t.is("primary") || t.is("unique") || t.is("foreign") || t.is("check") || t.is("exclude") {
			p.tableConstraint(st)
		} else {
			col, fk := p.columnDef()
			st.cols = append(st.cols, col)
			if fk != nil {
				st.fks = append(st.fks, *fk)
			}
		}
		if !p.acceptOp(",") {
			break
		}
	}
	p.expectOp(")")
	if p.peek().is("inherits") || p.peek().is("partition") || p.peek().is("as") {
		panic(errUnparseable)
	}
	return st
}

func (p *parser) tableConstraint(st *createTableStmt) {
	name := ""
	if p.acceptKw("constraint") {
		name = p.anyIdent()
	}
	switch {
	case p.acceptKw("primary", "key"):
		cols := p.identList()
		for i := range st.cols {
			if contains(cols, st.cols[i].Name) {
				st.cols[i].PrimaryKey = true
				st.cols[i].Unique = true
				st.cols[i].Nullable = false
			}
		}
	case p.acceptKw("unique"):
		cols := p.identList()
		if len(cols) == 1 {
			for i := range st.cols {
				if st.cols[i].Name == cols[0] {
					st.cols[i].Unique = true
				}
			}
		}
	case p.acceptKw("foreign", "key"):
		cols := p.identList()
		fk := p.references(cols)
		fk.Name = name
		st.fks = append(st.fks, fk)
	case p.acceptKw("check"):
		p.skipBalanced()
	case p.acceptKw("exclude"):
		p.acceptKw("using")
		if !p.peek().isOp("(") {
			p.anyIdent()
		}
		p.skipBalanced()
	default:
		panic(errUnparseable)
	}
}

// references parses "REFERENCES t [(cols)] [ON DELETE a] [ON UPDATE a]".
func (p *parser) references(src []string) foreignKey {
	p.expectKw("references")
	ref := p.tableName()
	fk := foreignKey{RefTable: ref.String(), SourceCols: src, OnDelete: "NO ACTION", OnUpdate: "NO ACTION"}
	if p.peek().isOp("(") {
		fk.RefCols = p.identList()
	}
	for {
		switch {
		case p.acceptKw("on", "delete"):
			fk.OnDelete = p.fkAction()
		case p.acceptKw("on", "update"):
			fk.OnUpdate = p.fkAction()
		case p.acceptKw("match"):
			p.anyIdent()
		case p.acceptKw("deferrable"), p.acceptKw("not", "deferrable"), p.acceptKw("initially", "deferred"), p.acceptKw("initially", "immediate"):
		default:
			return fk
		}
	}
}

func (p *parser) fkAction() string {
	switch {
	case p.acceptKw("cascade"):
		return "CASCADE"
	case p.acceptKw("restrict"):
		return "RESTRICT"
	case p.acceptKw("no", "action"):
		return "NO ACTION"
	case p.acceptKw("set", "null"):
		return "SET NULL"
	case p.acceptKw("set", "default"):
		return "SET DEFAULT"
	}
	panic(errUnparseable)
}

// columnDef parses "name type [constraints…]".
func (p *parser) columnDef() (Column, *foreignKey) {
	c := Column{Name: p.anyIdent(), Nullable: true}
	raw := p.typeName()
	c = c.withType(raw, true)
	switch strings.Fields(raw)[0] {
	case "serial", "bigserial", "smallserial", "serial4", "serial8":
		c.Default = "nextval()"
		c.Nullable = false
	}
	var fk *foreignKey
	for {
		t := p.peek()
		if t.kind != tkIdent || !columnConstraintStart[t.val] {
			break
		}
		if p.acceptKw("constraint") {
			p.anyIdent()
			continue
		}
		switch {
		case p.acceptKw("not", "null"):
			c.Nullable = false
		case p.acceptKw("null"):
			c.Nullable = true
		case p.acceptKw("primary", "key"):
			c.PrimaryKey, c.Unique, c.Nullable = true, true, false
		case p.acceptKw("unique"):
			c.Unique = true
		case p.acceptKw("default"):
			from := p.pos
			e := p.unaryExpr()
			c.Default = defaultText(e, p.textFrom(from))
		case p.peek().is("references"):
			f := p.references([]string{c.Name})
			fk = &f
		case p.acceptKw("check"):
			p.skipBalanced()
		case p.acceptKw("generated"):
			if p.acceptKw("always") || p.acceptKw("by", "default") {
				p.expectKw("as")
				if p.acceptKw("identity") {
					c.Default = "nextval()"
					c.Nullable = false
					if p.peek().isOp("(") {
						p.skipBalanced()
					}
				} else {
					p.skipBalanced()
					p.acceptKw("stored")
				}
			} else {
				panic(errUnparseable)
			}
		case p.acceptKw("collate"):
			p.anyIdent()
		default:
			panic(errUnparseable)
		}
	}
	return c, fk
}

// defaultText converts a DEFAULT expression to the Column.Default form.
func defaultText(e expr, text string) string {
	for {
		ce, ok := e.(*castExpr)
		if !ok {
			break
		}
		e = ce.e
	}
	switch x := e.(type) {
	case *litExpr:
		if x.v == nil {
			return ""
		}
		return displayValueSQL(x.v)
	case *funcExpr:
		switch x.name {
		case "current_timestamp", "now", "localtimestamp", "current_date":
			return "now()"
		case "gen_random_uuid", "uuid_generate_v4":
			return "gen_random_uuid()"
		case "nextval":
			return "nextval()"
		}
	case *negExpr:
		if l, ok := x.e.(*litExpr); ok {
			if f, ok := l.v.(float64); ok {
				return formatNumber(-f)
			}
		}
	}
	return strings.ToLower(text)
}

func displayValueSQL(v any) string {
	if b, ok := v.(bool); ok {
		return strconv.FormatBool(b)
	}
	return displayValue(v)
}

func (p *parser) dropStmt() any {
	p.expectKw("drop")
	if p.acceptKw("table") {
		st := &dropTableStmt{}
		if p.acceptKw("if", "exists") {
			st.ifExists = true
		}
		for {
			st.tbls = append(st.tbls, p.tableName())
			if !p.acceptOp(",") {
				break
			}
		}
		st.cascade = p.cascadeOrRestrict()
		return st
	}
	if p.acceptKw("policy") {
		p.acceptKw("if", "exists")
		name := p.anyIdent()
		p.expectKw("on")
		tr := p.tableName()
		p.acceptKw("cascade")
		p.acceptKw("restrict")
		return &dropPolicyStmt{tbl: tr, name: name}
	}
	if p.acceptKw("schema") {
		st := &dropSchemaStmt{ifExists: p.acceptKw("if", "exists")}
		for {
			st.names = append(st.names, p.anyIdent())
			if !p.acceptOp(",") {
				break
			}
		}
		st.cascade = p.cascadeOrRestrict()
		return st
	}
	if p.acceptKw("index") {
		p.acceptKw("concurrently")
		st := &dropIndexStmt{ifExists: p.acceptKw("if", "exists")}
		for {
			st.names = append(st.names, p.tableName())
			if !p.acceptOp(",") {
				break
			}
		}
		p.acceptKw("cascade")
		p.acceptKw("restrict")
		return st
	}
	switch t := p.peek(); {
	case t.is("function"), t.is("procedure"), t.is("view"), t.is("materialized"), t.is("trigger"),
		t.is("type"), t.is("sequence"), t.is("extension"), t.is("domain"), t.is("publication"):
		kind := "OBJECT_" + strings.ToUpper(t.val)
		if t.is("materialized") {
			kind = "OBJECT_MATVIEW"
		}
		st := p.noopRest().(*noopStmt)
		st.removeType = kind
		return st
	}
	panic(errUnparseable)
}

type dropPolicyStmt struct {
	tbl  tableRef
	name string
}

func (p *parser) alterTable() *alterTableStmt {
	p.expectKw("table")
	st := &alterTableStmt{}
	if p.acceptKw("if", "exists") {
		st.ifExists = true
	}
	p.acceptKw("only")
	st.tbl = p.tableName()
	for {
		st.actions = append(st.actions, p.alterAction())
		if !p.acceptOp(",") {
			break
		}
	}
	return st
}

func (p *parser) alterAction() alterAction {
	switch {
	case p.acceptKw("add"):
		if p.peek().is("constraint") || p.peek().is("primary") || p.peek().is("unique") || p.peek().is("foreign") || p.peek().is("check") {
			name := ""
			if p.acceptKw("constraint") {
				name = p.anyIdent()
			}
			switch {
			case p.acceptKw("foreign", "key"):
				cols := p.identList()
				fk := p.references(cols)
				fk.Name = name
				return alterAction{kind: "add_fk", fk: fk}
			case p.acceptKw("unique"):
				return alterAction{kind: "add_unique", name: name, fk: foreignKey{SourceCols: p.identList()}}
			case p.acceptKw("primary", "key"):
				p.identList()
				return alterAction{kind: "noop"}
			case p.acceptKw("check"):
				p.skipBalanced()
				return alterAction{kind: "noop"}
			}
			panic(errUnparseable)
		}
		p.acceptKw("column")
		a := alterAction{kind: "add"}
		if p.acceptKw("if", "not", "exists") {
			a.ifCond = true
		}
		var fk *foreignKey
		a.col, fk = p.columnDef()
		if fk != nil {
			a.fk = *fk
		}
		return a
	case p.acceptKw("drop"):
		if p.acceptKw("constraint") {
			a := alterAction{kind: "drop_constraint"}
			a.ifCond = p.acceptKw("if", "exists")
			a.name = p.anyIdent()
			p.acceptKw("cascade")
			p.acceptKw("restrict")
			return a
		}
		p.acceptKw("column")
		a := alterAction{kind: "drop"}
		a.ifCond = p.acceptKw("if", "exists")
		a.name = p.anyIdent()
		a.cascade = p.acceptKw("cascade")
		p.acceptKw("restrict")
		return a
	case p.acceptKw("rename"):
		if p.acceptKw("to") {
			return alterAction{kind: "rename", newName: p.anyIdent()}
		}
		if p.acceptKw("constraint") {
			p.anyIdent()
			p.expectKw("to")
			p.anyIdent()
			return alterAction{kind: "noop"}
		}
		p.acceptKw("column")
		a := alterAction{kind: "rename_col", name: p.anyIdent()}
		p.expectKw("to")
		a.newName = p.anyIdent()
		return a
	case p.acceptKw("alter"):
		p.acceptKw("column")
		a := alterAction{name: p.anyIdent()}
		switch {
		case p.acceptKw("set", "default"):
			from := p.pos
			e := p.expr()
			a.kind = "set_default"
			a.col.Default = defaultText(e, p.textFrom(from))
		case p.acceptKw("drop", "default"):
			a.kind = "drop_default"
		case p.acceptKw("set", "not", "null"):
			a.kind = "set_not_null"
		case p.acceptKw("drop", "not", "null"):
			a.kind = "drop_not_null"
		case p.acceptKw("set", "data", "type"), p.acceptKw("type"):
			a.kind = "type"
			a.col = a.col.withType(p.typeName(), true)
			if p.acceptKw("using") {
				p.expr()
			}
		default:
			panic(errUnparseable)
		}
		return a
	case p.acceptKw("enable", "row", "level", "security"):
		return alterAction{kind: "rls_on"}
	case p.acceptKw("disable", "row", "level", "security"):
		return alterAction{kind: "rls_off"}
	case p.acceptKw("force", "row", "level", "security"), p.acceptKw("no", "force", "row", "level", "security"):
		return alterAction{kind: "noop"}
	case p.acceptKw("owner", "to"):
		p.anyIdent()
		return alterAction{kind: "noop"}
	case p.peek().is("enable") || p.peek().is("disable") || p.peek().is("replica") || p.peek().is("set"):
		// ENABLE TRIGGER …, SET (…), REPLICA IDENTITY …: accepted, ignored
		for !p.eof() && !p.peek().isOp(",") {
			if p.peek().isOp("(") {
				p.skipBalanced()
				continue
			}
			p.next()
		}
		return alterAction{kind: "noop"}
	}
	panic(errUnparseable)
}

func (p *parser) createPolicy() *createPolicyStmt {
	st := &createPolicyStmt{name: p.anyIdent(), cmd: "ALL", roles: []string{"public"}}
	p.expectKw("on")
	st.tbl = p.tableName()
	if p.acceptKw("as") {
		p.anyIdent()
	}
	if p.acceptKw("for") {
		st.cmd = strings.ToUpper(p.anyIdent())
	}
	if p.acceptKw("to") {
		st.roles = nil
		for {
			st.roles = append(st.roles, p.anyIdent())
			if !p.acceptOp(",") {
				break
			}
		}
	}
	if p.acceptKw("using") {
		from := p.pos
		p.skipBalanced()
		st.qual = strings.TrimSuffix(strings.TrimPrefix(p.textFrom(from), "("), ")")
	}
	if p.acceptKw("with", "check") {
		from := p.pos
		p.skipBalanced()
		st.withCheck = strings.TrimSuffix(strings.TrimPrefix(p.textFrom(from), "("), ")")
	}
	return st
}

func (p *parser) createIndex() *createIndexStmt {
	st := &createIndexStmt{method: "btree"}
	st.unique = p.acceptKw("unique")
	p.expectKw("index")
	p.acceptKw("concurrently")
	st.ifNotExists = p.acceptKw("if", "not", "exists")
	if !p.peek().is("on") {
		st.name = p.anyIdent()
	}
	p.expectKw("on")
	p.acceptKw("only")
	st.tbl = p.tableName()
	if p.acceptKw("using") {
		st.method = p.anyIdent()
	}
	if !p.peek().isOp("(") {
		panic(errUnparseable)
	}
	from := p.pos
	p.skipBalanced()
	inner := strings.TrimSpace(p.textFrom(from))
	inner = strings.TrimSpace(inner[1 : len(inner)-1])
	var parts []string
	for _, part := range splitTop(inner) {
		parts = append(parts, strings.Join(strings.Fields(part), " "))
	}
	st.cols = parts
	p.noopRest()
	st.def = p.textFrom(0)
	if st.name == "" {
		var names []string
		for _, c := range parts {
			names = append(names, strings.Trim(strings.Fields(c)[0], `"()`))
		}
		st.name = st.tbl.name + "_" + strings.Join(names, "_") + "_idx"
		st.autoName = true
	}
	return st
}
