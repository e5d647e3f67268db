package sqlcheck

import (
	"strings"
	"testing"
)

// readCases are accepted.
var readCases = []string{
	"SELECT 1",
	"select * from todos",
	"SELECT 1;",
	"SELECT 1 ;  -- done\n",
	"SELECT 1; /* trailing */ ",
	"SELECT 1;;",
	"  \n\tSELECT id, title FROM public.todos WHERE done = false ORDER BY created_at DESC LIMIT 10",
	"(SELECT 1) UNION (SELECT 2)",
	"SELECT count(*) FROM t WHERE a = $1 AND b = $2",
	"WITH x AS (SELECT 1 AS a) SELECT a FROM x",
	"WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM t WHERE n < 5) SELECT * FROM t",
	"WITH x AS MATERIALIZED (SELECT 1), y AS NOT MATERIALIZED (SELECT 2) SELECT * FROM x, y",
	"EXPLAIN SELECT * FROM t",
	"EXPLAIN ANALYZE SELECT * FROM t",
	"EXPLAIN (ANALYZE, FORMAT JSON) SELECT * FROM t",
	"EXPLAIN VERBOSE DELETE FROM t",
	"EXPLAIN (ANALYZE false) DELETE FROM t",
	"EXPLAIN (ANALYZE off, COSTS on) UPDATE t SET a = 1",
	"EXPLAIN INSERT INTO t VALUES (1)",
	"SHOW search_path",
	"show all",
	"VALUES (1, 'a'), (2, 'b')",
	"TABLE todos",
	"SELECT 'DELETE FROM t; DROP TABLE t'",
	"SELECT 'it''s; DROP TABLE x'",
	"SELECT E'it\\'s; DROP TABLE x'",
	"SELECT e'\\\\'; ",
	"SELECT $$; DELETE FROM t; $$",
	"SELECT $tag$ $$ ; DELETE $$ $tag$",
	"SELECT \"delete\", \"insert;\" FROM t",
	"SELECT \"a\"\"b; drop\" FROM t",
	"SELECT 1 -- ; DELETE FROM t",
	"SELECT 1 /* ; DELETE /* nested ; */ still comment ; */",
	"SELECT U&'d\\0061t\\+000061' AS x",
	"SELECT B'1010', X'ff', N'text'",
	"SELECT a$b FROM t",
	"SELECT now() - interval '1 day'",
	"SELECT * FROM pg_catalog.pg_tables WHERE schemaname = 'public'",
	"SELECT 'nextval(' || x FROM t",
	"SELECT nextval FROM t",
	"SELECT \"updated_at\" FROM t WHERE \"for\" = 1",
	"SELECT substring('abc' FROM 1 FOR 2)",
	"select created_at::date, count(*) from orders group by 1 order by 1",
	"SELECT jsonb_build_object('a', 1) ->> 'a'",
	"SELECT 1.5e3, 0x1F, .5, 1_000",
	"SELECT * FROM t WHERE id = ANY($1::uuid[])",
}

// writeCases are refused; the error must contain want.
var writeCases = []struct{ sql, want string }{
	{"", "empty"},
	{"   -- only a comment\n", "empty"},
	{"INSERT INTO t VALUES (1)", "starts with INSERT"},
	{"update t set a = 1", "starts with UPDATE"},
	{"DELETE FROM t", "starts with DELETE"},
	{"MERGE INTO t USING s ON true WHEN MATCHED THEN DELETE", "starts with MERGE"},
	{"TRUNCATE t", "starts with TRUNCATE"},
	{"CREATE TABLE x (a int)", "starts with CREATE"},
	{"DROP TABLE t", "starts with DROP"},
	{"ALTER TABLE t ADD COLUMN b int", "starts with ALTER"},
	{"GRANT SELECT ON t TO anon", "starts with GRANT"},
	{"REVOKE SELECT ON t FROM anon", "starts with REVOKE"},
	{"COPY t TO '/tmp/x'", "starts with COPY"},
	{"CALL p()", "starts with CALL"},
	{"DO $$ BEGIN DELETE FROM t; END $$", "starts with DO"},
	{"LOCK TABLE t", "starts with LOCK"},
	{"VACUUM t", "starts with VACUUM"},
	{"REFRESH MATERIALIZED VIEW v", "starts with REFRESH"},
	{"SET search_path = x", "starts with SET"},
	{"BEGIN", "starts with BEGIN"},
	{"SELECT 1; DELETE FROM t", "statement 2 starts with DELETE"},
	{"SELECT 1; SELECT 2", "found 2 statements"},
	{"SELECT 1;\nINSERT INTO t VALUES (1);", "statement 2 starts with INSERT"},
	{"SELECT 'a'; DROP TABLE t; --'", "statement 2 starts with DROP"},
	{"SELECT $$a$$; DELETE FROM t", "statement 2 starts with DELETE"},
	{"SELECT \"x\"; DELETE FROM t", "statement 2 starts with DELETE"},
	{"SELECT 1 /* c */; /* d */ DELETE FROM t", "statement 2 starts with DELETE"},
	{"SELECT E'\\''; DELETE FROM t; --'", "statement 2 starts with DELETE"},
	{"SELECT (1; DELETE FROM t)", "statement 2 starts with DELETE"},
	{"WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d", "starts with DELETE"},
	{"WITH x AS (SELECT 1) INSERT INTO t SELECT * FROM x", "WITH query contains INSERT"},
	{"WITH x AS (SELECT 1), y AS (UPDATE t SET a = 1 RETURNING *) SELECT 1", "starts with UPDATE"},
	{"WITH RECURSIVE t(n) AS (SELECT 1) CYCLE n SET c USING p DELETE FROM x", "WITH query contains DELETE"},
	{"SELECT * FROM (WITH d AS (SELECT 1) DELETE FROM t RETURNING *) s", "WITH query contains DELETE"},
	{"SELECT * INTO newtable FROM t", "INTO creates a table"},
	{"SELECT 1into newtable", "INTO creates a table"},
	{"SELECT * FROM t FOR UPDATE", "FOR UPDATE"},
	{"SELECT * FROM t FOR NO KEY UPDATE", "FOR NO KEY UPDATE"},
	{"WITH a AS (SELECT 1) SELECT * FROM a FOR NO KEY UPDATE", "FOR NO KEY UPDATE"},
	{"SELECT * FROM t FOR SHARE SKIP LOCKED", "FOR SHARE"},
	{"SELECT * FROM t FOR KEY SHARE", "FOR KEY SHARE"},
	{"WITH a AS (SELECT * FROM t FOR UPDATE) SELECT 1", "FOR UPDATE"},
	{"SELECT set_config('role', 'postgres', false)", "set_config()"},
	{"SELECT pg_catalog.SET_CONFIG ('a', 'b', true)", "set_config()"},
	{"SELECT \"nextval\"('s')", "nextval()"},
	{"SELECT nextval /* x */ ('s')", "nextval()"},
	{"SELECT setval('s', 1)", "setval()"},
	{"SELECT pg_terminate_backend(123)", "pg_terminate_backend()"},
	{"SELECT pg_cancel_backend(123)", "pg_cancel_backend()"},
	{"SELECT pg_reload_conf()", "pg_reload_conf()"},
	{"SELECT pg_advisory_lock(1)", "pg_advisory_lock()"},
	{"SELECT pg_advisory_xact_lock_shared(1)", "pg_advisory_xact_lock_shared()"},
	{"SELECT * FROM dblink('host=x', 'delete from t') AS r(a int)", "dblink()"},
	{"SELECT dblink_exec('delete from t')", "dblink_exec()"},
	{"SELECT lo_import('/etc/passwd')", "lo_import()"},
	{"SELECT lo_export(1, '/tmp/x')", "lo_export()"},
	{"SELECT lo_unlink(1)", "lo_unlink()"},
	{"SELECT pg_read_file('/etc/passwd')", "pg_read_file()"},
	{"SELECT pg_write_something('x')", "pg_write_something()"},
	{"VALUES (nextval('s'))", "nextval()"},
	{"SHOW x; SELECT 1", "found 2 statements"},
	{"EXPLAIN ANALYZE DELETE FROM t", "EXPLAIN ANALYZE executes"},
	{"EXPLAIN ANALYSE VERBOSE UPDATE t SET a = 1", "EXPLAIN ANALYZE executes"},
	{"EXPLAIN (ANALYZE) INSERT INTO t VALUES (1)", "EXPLAIN ANALYZE executes"},
	{"EXPLAIN (FORMAT JSON, ANALYZE true) DELETE FROM t", "EXPLAIN ANALYZE executes"},
	{"EXPLAIN (ANALYZE 1) DELETE FROM t", "EXPLAIN ANALYZE executes"},
	{"EXPLAIN ANALYZE WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d", "EXPLAIN ANALYZE executes"},
	{"EXPLAIN SELECT nextval('s')", "nextval()"},
	{"EXPLAIN", "no statement"},
	{"EXPLAIN VACUUM t", "EXPLAIN of VACUUM"},
	{"SELECT 'unterminated", "unterminated string"},
	{"SELECT \"unterminated", "unterminated quoted identifier"},
	{"SELECT $$ unterminated", "unterminated dollar-quoted"},
	{"SELECT 1 /* unterminated /* nested */", "unterminated /* comment"},
	{"SELECT E'\\'; DELETE FROM t", "unterminated string"},
	{"(((", "only parentheses"},
	{"\"select\" 1", "quoted identifier"},
	{"$1", "parameter"},
}

func TestReadOnlyAccepts(t *testing.T) {
	for _, q := range readCases {
		if err := ReadOnly(q); err != nil {
			t.Errorf("ReadOnly(%q) = %v, want nil", q, err)
		}
	}
}

func TestReadOnlyRefuses(t *testing.T) {
	for _, c := range writeCases {
		err := ReadOnly(c.sql)
		if err == nil {
			t.Errorf("ReadOnly(%q) = nil, want an error containing %q", c.sql, c.want)
			continue
		}
		if !strings.Contains(err.Error(), c.want) {
			t.Errorf("ReadOnly(%q) = %q, want it to contain %q", c.sql, err, c.want)
		}
	}
}

func TestCaseCount(t *testing.T) {
	if n := len(readCases) + len(writeCases); n < 40 {
		t.Fatalf("only %d cases", n)
	}
}

func TestLexSkipsLiterals(t *testing.T) {
	toks, err := lex(`SELECT 'a;b', E'c\';d', $x$e;$$f$x$, "g;h", -- i;
/* j; /* k; */ l; */ m`)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []kind
	for _, tk := range toks {
		kinds = append(kinds, tk.kind)
		if tk.punct(";") {
			t.Fatalf("a ';' inside a literal or comment was lexed as a separator: %+v", toks)
		}
	}
	want := []kind{kWord, kString, kPunct, kString, kPunct, kString, kPunct, kQIdent, kPunct, kWord}
	if len(kinds) != len(want) {
		t.Fatalf("got %d tokens %+v, want %d", len(kinds), toks, len(want))
	}
	for i := range want {
		if kinds[i] != want[i] {
			t.Fatalf("token %d: kind %d, want %d (%+v)", i, kinds[i], want[i], toks)
		}
	}
	if toks[7].text != "g;h" {
		t.Errorf("quoted identifier = %q", toks[7].text)
	}
}

func FuzzReadOnly(f *testing.F) {
	for _, q := range readCases {
		f.Add(q)
	}
	for _, c := range writeCases {
		f.Add(c.sql)
	}
	for _, q := range []string{"$", "$a", "$a$", "E'", "U&", "U&'", "U&\"", "0x", "0b2", "1e", "1.e+", "/*/", "--", "'''", "\"\"\"", "e'\\"} {
		f.Add(q)
	}
	f.Fuzz(func(t *testing.T, q string) {
		err := ReadOnly(q)
		if err == nil {
			// An accepted text must have exactly one statement.
			toks, lerr := lex(q)
			if lerr != nil {
				t.Fatalf("accepted %q but it does not lex: %v", q, lerr)
			}
			if n := len(split(toks)); n != 1 {
				t.Fatalf("accepted %q with %d statements", q, n)
			}
		}
		// Deterministic.
		if err2 := ReadOnly(q); (err == nil) != (err2 == nil) {
			t.Fatalf("ReadOnly(%q) is not deterministic", q)
		}
	})
}
