// Package sqlcheck decides whether an SQL text is a single plain read, for
// the --read-only mode of run-raw-sql.
//
// ReadOnly accepts exactly one statement that is one of:
//
//   - SELECT … (also parenthesised, with UNION/INTERSECT/EXCEPT),
//   - WITH … whose common table expressions and main statement are all reads,
//   - EXPLAIN of any statement, but EXPLAIN ANALYZE (which executes the
//     statement) only of a read,
//   - SHOW, VALUES, TABLE.
//
// The text is tokenised the way the PostgreSQL scanner does it: string
// literals ('…' where a doubled quote escapes a quote, E'…' with backslash
// escapes, B'…', X'…', U&'…', dollar-quoted $tag$…$tag$), quoted
// identifiers ("…", and U&"…" decoded with its \XXXX and \+XXXXXX escapes
// or the escape character a following UESCAPE 'c' sets), line comments
// and nested block comments are skipped, so a keyword or a ';' inside them
// is never mistaken for SQL, and a disguised name (U&"nextv\0061l") is seen
// as the name PostgreSQL sees. A ';' outside them ends a statement: one
// trailing ';' (and empty statements, whitespace and comments) is fine, a
// second statement is refused. Unterminated literals or comments, and
// Unicode escapes PostgreSQL would refuse, are refused.
//
// Inside the accepted statement it also refuses:
//
//   - a data-modifying or utility statement in a WITH query or a subquery
//     (INSERT, UPDATE, DELETE, MERGE, TRUNCATE, CREATE, DROP, ALTER, GRANT,
//     REVOKE, COPY, CALL, DO, LOCK, VACUUM, REFRESH),
//   - SELECT … INTO (it creates a table),
//   - row-locking clauses (FOR UPDATE, FOR NO KEY UPDATE, FOR SHARE,
//     FOR KEY SHARE),
//   - every function call that is not on an allow-list (allowedFunctions in
//     funcs.go) of built-in functions known not to write: string, math,
//     date/time, JSON/JSONB, array and range, full-text, aggregate, window
//     and comparison functions, casts and type constructors, and a few
//     session and catalog information functions. Everything else is
//     refused: user-defined functions (they may write), extension
//     functions, built-ins with side effects (nextval, setval, set_config,
//     dblink, lo_*, pg_terminate_backend, …) and those that run SQL given
//     as text (query_to_xml, cursor_to_xml, ts_stat, …). A call qualified
//     with pg_catalog is judged by its name; any other qualifier is
//     refused. An unquoted name is lowercased, a quoted one must match as
//     written.
//
// # Limits
//
// This is a lexical check, not a parser, and it errs on the side of
// refusing: an unusual read can be refused (an unquoted column named
// "update" in a WITH query, an unquoted column named "into", a table alias
// with a column list after a schema-qualified table). Names are judged,
// not resolved: a user-defined overload of an allowed name with other
// argument types (public.lower(integer)), a function called in attribute
// notation (t.f for f(t)), a user-defined operator or cast, and a view,
// policy or column default that calls a writing function all run without
// being seen here. It assumes standard_conforming_strings is on (the
// PostgreSQL default): with it off, a backslash inside '…' escapes the
// quote, and the statement boundaries seen here may differ from the
// server's. The database role the backend runs the query as
// (project_admin for run-raw-sql) is the real security boundary; this
// check keeps an agent in --read-only mode from issuing writes, it does
// not make arbitrary SQL safe.
package sqlcheck

import (
	"errors"
	"fmt"
	"strings"
)

// ReadOnly returns nil when query is a single plain read statement, and
// otherwise an error that says what was found ("statement 2 starts with
// INSERT", "SELECT … INTO creates a table", …).
func ReadOnly(query string) error {
	toks, err := lex(query)
	if err != nil {
		return err
	}
	stmts := split(toks)
	switch len(stmts) {
	case 0:
		return errors.New("the query is empty (no SQL statement, only whitespace or comments)")
	case 1:
		return checkStatement(stmts[0], "the statement")
	}
	for i, s := range stmts {
		if err := checkStatement(s, fmt.Sprintf("statement %d", i+1)); err != nil {
			return fmt.Errorf("found %d statements and only one is allowed: %w", len(stmts), err)
		}
	}
	return fmt.Errorf("found %d statements and only one is allowed: run them one at a time", len(stmts))
}

// split cuts the tokens at ';' and drops empty statements.
func split(toks []token) [][]token {
	var out [][]token
	start := 0
	for i, t := range toks {
		if t.punct(";") {
			if i > start {
				out = append(out, toks[start:i])
			}
			start = i + 1
		}
	}
	if start < len(toks) {
		out = append(out, toks[start:])
	}
	return out
}

// Statement is one statement of a query for the test backend's statement
// guards (internal/insforgefake): its text, from its first token to its
// ';' or the end of the query, trimmed, and its tokens as words: a keyword
// or unquoted identifier lowercased, a punctuation character, "" for any
// other token.
type Statement struct {
	Text  string
	Words []string
}

// Statements splits query into statements as ReadOnly does.
func Statements(query string) ([]Statement, error) {
	toks, err := lex(query)
	if err != nil {
		return nil, err
	}
	var out []Statement
	// Capped at its length, toks makes each statement g a window whose
	// capacity runs to the end of the query: past g comes the ';' that
	// ended it, if any.
	for _, g := range split(toks[:len(toks):len(toks)]) {
		end := len(query)
		if next := g[len(g):cap(g)]; len(next) > 0 {
			end = next[0].pos
		}
		st := Statement{Text: strings.TrimSpace(query[g[0].pos:end])}
		for _, t := range g {
			w := ""
			if t.kind == kWord || t.kind == kPunct {
				w = t.text
			}
			st.Words = append(st.Words, w)
		}
		out = append(out, st)
	}
	return out, nil
}

// writeKeywords start statements that change something.
var writeKeywords = map[string]bool{
	"insert": true, "update": true, "delete": true, "merge": true, "truncate": true,
	"create": true, "drop": true, "alter": true, "grant": true, "revoke": true,
	"copy": true, "call": true, "do": true, "lock": true, "vacuum": true, "refresh": true,
}

// readStarts are the first keywords of plain reads.
var readStarts = map[string]bool{"select": true, "with": true, "values": true, "table": true}

// explainable are the statements EXPLAIN (without ANALYZE) accepts.
var explainable = map[string]bool{
	"select": true, "with": true, "values": true, "table": true, "insert": true, "update": true,
	"delete": true, "merge": true, "execute": true, "declare": true, "create": true,
}

// firstWord returns the first token of toks after any opening parentheses,
// and its index. ok is false when there is none.
func firstWord(toks []token) (token, int, bool) {
	for i, t := range toks {
		if !t.punct("(") {
			return t, i, true
		}
	}
	return token{}, 0, false
}

func describe(t token) string {
	switch t.kind {
	case kWord:
		return strings.ToUpper(t.text)
	case kQIdent:
		return fmt.Sprintf("the quoted identifier %q", t.text)
	case kString:
		return "a string literal"
	case kNumber:
		return "the number " + t.text
	case kParam:
		return "the parameter " + t.text
	}
	return fmt.Sprintf("%q", t.text)
}

// checkStatement checks one statement (no ';' inside). subject names it in
// errors ("the statement", "statement 2").
func checkStatement(toks []token, subject string) error {
	first, _, ok := firstWord(toks)
	if !ok {
		return fmt.Errorf("%s has only parentheses", subject)
	}
	var err error
	switch {
	case first.word("explain") && toks[0].word("explain"):
		err = checkExplain(toks[1:])
	case first.word("show") && toks[0].word("show"):
		err = checkFunctions(toks)
	case first.kind == kWord && readStarts[first.text]:
		err = checkRead(toks, subject)
	default:
		return fmt.Errorf("%s starts with %s", subject, describe(first))
	}
	if err != nil && subject != "the statement" {
		return fmt.Errorf("%s: %w", subject, err)
	}
	return err
}

// checkExplain checks what follows EXPLAIN.
func checkExplain(toks []token) error {
	analyze := false
	i := 0
	if i < len(toks) && toks[i].punct("(") {
		end := matching(toks, i)
		if end < 0 {
			return errors.New("EXPLAIN has an unclosed option list")
		}
		analyze = explainOptionsAnalyze(toks[i+1 : end])
		i = end + 1
	} else {
		for i < len(toks) && (toks[i].word("analyze") || toks[i].word("analyse") || toks[i].word("verbose")) {
			if !toks[i].word("verbose") {
				analyze = true
			}
			i++
		}
	}
	inner := toks[i:]
	first, _, ok := firstWord(inner)
	if !ok {
		return errors.New("EXPLAIN has no statement to explain")
	}
	if analyze {
		if first.word("explain") || first.word("show") {
			return fmt.Errorf("EXPLAIN ANALYZE of %s is not a plain read", describe(first))
		}
		if err := checkRead(inner, "the explained statement"); err != nil {
			return fmt.Errorf("EXPLAIN ANALYZE executes what it explains, and %w", err)
		}
		return nil
	}
	if first.kind != kWord || !explainable[first.text] {
		return fmt.Errorf("EXPLAIN of %s is not supported", describe(first))
	}
	return checkFunctions(inner)
}

// explainOptionsAnalyze reports whether the EXPLAIN option list turns
// ANALYZE on. An ANALYZE option with a value other than a recognised
// false value counts as on.
func explainOptionsAnalyze(opts []token) bool {
	for i := 0; i < len(opts); i++ {
		if !(opts[i].word("analyze") || opts[i].word("analyse")) {
			continue
		}
		if i+1 >= len(opts) || opts[i+1].punct(",") {
			return true
		}
		v := opts[i+1]
		val := lowerASCII(strings.Trim(v.text, "'"))
		if v.kind == kString && !strings.HasPrefix(v.text, "'") {
			return true // E'…', $$…$$: do not guess
		}
		switch val {
		case "false", "off", "0", "no":
			if i+2 >= len(opts) || opts[i+2].punct(",") {
				continue
			}
		}
		return true
	}
	return false
}

// matching returns the index of the ')' that closes the '(' at open, or -1.
func matching(toks []token, open int) int {
	depth := 0
	for i := open; i < len(toks); i++ {
		switch {
		case toks[i].punct("("):
			depth++
		case toks[i].punct(")"):
			depth--
			if depth == 0 {
				return i
			}
		}
	}
	return -1
}

// checkRead checks a SELECT/WITH/VALUES/TABLE statement.
func checkRead(toks []token, subject string) error {
	first, _, _ := firstWord(toks)
	if first.kind != kWord || !readStarts[first.text] {
		return fmt.Errorf("%s starts with %s", subject, describe(first))
	}
	if err := checkScope(toks, subject); err != nil {
		return err
	}
	if err := checkClauses(toks); err != nil {
		return err
	}
	return checkFunctions(toks)
}

// checkScope checks the tokens of one query level (the statement itself,
// or the inside of a pair of parentheses) and recurses into nested
// parentheses. A level that starts with a write keyword is refused; in a
// level that starts with WITH, a write keyword anywhere on that level (the
// main statement after the common table expressions) is refused.
// subject is empty for nested levels.
func checkScope(toks []token, subject string) error {
	first, _, ok := firstWord(toks)
	if ok && first.kind == kWord && writeKeywords[first.text] {
		if subject != "" {
			return fmt.Errorf("%s starts with %s", subject, describe(first))
		}
		return fmt.Errorf("a subquery or WITH query starts with %s", describe(first))
	}
	with := ok && first.word("with")
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		switch {
		case t.punct("("):
			end := matching(toks, i)
			if end < 0 {
				end = len(toks)
			}
			if err := checkScope(toks[i+1:end], ""); err != nil {
				return err
			}
			i = end
		case with && t.kind == kWord && writeKeywords[t.text]:
			if lockingStrength(toks, i) {
				continue // FOR [NO KEY] UPDATE: reported by checkClauses
			}
			return fmt.Errorf("the WITH query contains %s as a statement", describe(t))
		}
	}
	return nil
}

// lockingStrength reports whether toks[i] ends FOR UPDATE or FOR NO KEY UPDATE.
func lockingStrength(toks []token, i int) bool {
	if !toks[i].word("update") {
		return false
	}
	return (i > 0 && toks[i-1].word("for")) ||
		(i > 2 && toks[i-1].word("key") && toks[i-2].word("no") && toks[i-3].word("for"))
}

// checkClauses refuses SELECT … INTO and row-locking clauses anywhere.
func checkClauses(toks []token) error {
	for i, t := range toks {
		if t.word("into") {
			return errors.New("SELECT … INTO creates a table")
		}
		if t.word("for") && i+1 < len(toks) {
			next := toks[i+1]
			clause := ""
			switch {
			case next.word("update"), next.word("share"):
				clause = next.text
			case next.word("no") && i+3 < len(toks) && toks[i+2].word("key") && toks[i+3].word("update"):
				clause = "no key update"
			case next.word("key") && i+2 < len(toks) && toks[i+2].word("share"):
				clause = "key share"
			}
			if clause != "" {
				return fmt.Errorf("FOR %s is a row-locking clause (it takes locks like a write)", strings.ToUpper(clause))
			}
		}
	}
	return nil
}
