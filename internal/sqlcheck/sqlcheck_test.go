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
	// Common reads under the function allow-list.
	"SELECT o.id, c.name FROM orders o JOIN customers c ON c.id = o.customer_id LEFT JOIN items i USING (order_id) WHERE o.total > 10",
	"WITH recent AS (SELECT * FROM orders WHERE created_at > now() - interval '7 days'), agg(customer, n) AS (SELECT customer_id, count(*) FROM recent GROUP BY 1) SELECT * FROM agg ORDER BY n DESC",
	"SELECT customer_id, sum(total), avg(total), min(total), max(total), count(DISTINCT id) FROM orders GROUP BY customer_id HAVING count(*) > 2",
	"SELECT id, row_number() OVER (PARTITION BY customer_id ORDER BY created_at), lag(total) OVER w, sum(total) OVER (ORDER BY id ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) FROM orders WINDOW w AS (ORDER BY id)",
	`SELECT data->>'name', data->'tags'->0, data #>> '{a,b}', data @> '{"x": 1}'::jsonb FROM docs WHERE data ? 'name'`,
	"SELECT created_at::date + 1, date_trunc('month', created_at), extract(year FROM created_at), age(now(), created_at), now() - created_at > interval '1 hour' FROM orders",
	"SELECT count(*) FROM t",
	"SELECT lower(email), upper(name), to_char(created_at, 'YYYY-MM-DD'), initcap(name) FROM users",
	"SELECT jsonb_build_object('id', id, 'tags', array_agg(tag ORDER BY tag)), string_agg(tag, ', ') FROM tags GROUP BY id",
	"SELECT g, g * 2 FROM generate_series(1, 10) AS g(g)",
	"SELECT * FROM generate_series(now() - interval '1 day', now(), interval '1 hour') s(ts)",
	"SELECT count(*) FILTER (WHERE done), percentile_cont(0.5) WITHIN GROUP (ORDER BY total) FROM orders",
	"SELECT coalesce(a, b), nullif(a, 0), greatest(a, b), least(a, b), CAST(a AS numeric(10, 2)), b::varchar(20) FROM t",
	"SELECT pg_catalog.lower('A'), pg_typeof(1), version(), current_user, current_database(), format('%s', 1)",
	"SELECT * FROM users u JOIN LATERAL (SELECT * FROM orders o WHERE o.user_id = u.id LIMIT 3) o ON true",
	"SELECT * FROM jsonb_array_elements('[1,2]'::jsonb) WITH ORDINALITY AS e(v, n)",
	"SELECT x FROM t tt(x) JOIN u uu(y) ON x = y",
	"SELECT EXISTS (SELECT 1 FROM t), 1 IN (SELECT 1), ARRAY(SELECT 1), ROW(1, 2)",
	"SELECT position('a' IN 'abc'), substring('abc' FROM 2), trim(BOTH ' ' FROM ' a '), overlay('abc' PLACING 'x' FROM 2)",
	"SELECT a::character varying(10), b::timestamp(3) with time zone FROM t",
	"SELECT * FROM t TABLESAMPLE system(10) REPEATABLE (1)",
	`SELECT $fn$ nextval('s') $fn$, 'setval(1)', "nextval" FROM t`,
	`SELECT U&"lower"('A'), U&"l!006Fwer" UESCAPE '!' ('A')`,
	"EXPLAIN INSERT INTO t (a, b) VALUES (1, 2)",
	"WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM t WHERE n < 3) SEARCH DEPTH FIRST BY n SET ord, u(m) AS (SELECT 2) SELECT * FROM t, u",
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
	// Unicode-escaped names (issue 13, item 3).
	{`SELECT U&"nextv\0061l"('s')`, "nextval()"},
	{`SELECT U&"nextv!0061l" UESCAPE '!' ('s')`, "nextval()"},
	{`SELECT U&"nextv!0061l" /* c */ uescape -- c` + "\n" + `'!' ('s')`, "nextval()"},
	{`SELECT U&"nextv!0061l" UESCAPE $$!$$ ('s')`, "nextval()"},
	{`SELECT u&"\+00006Eextval"('s')`, "nextval()"},
	{`SELECT U&"set\005Fconfig"('search_path', 'x', false)`, "set_config()"},
	{`SELECT U&"lo\005Ffrom\005Fbytea"(0, 'x')`, "lo_from_bytea()"},
	{`SELECT U&"pg_catalog".U&"setv\0061l"('s', 1)`, "setval()"},
	{`SELECT * FROM U&"dbl\0069nk"('host=x', 'delete from t') AS r(a int)`, "dblink()"},
	{`SELECT U&"nextv\0061l`, "unterminated"},
	{`SELECT U&"x\00"`, "invalid Unicode escape"},
	{`SELECT U&"x\D800"`, "surrogate"},
	{`SELECT U&"x\0000"`, "invalid Unicode escape value"},
	{`SELECT U&"x" UESCAPE 'ab'`, "invalid UESCAPE"},
	{`SELECT U&"x" UESCAPE '+'`, "invalid UESCAPE"},
	{`SELECT U&'x' UESCAPE`, "invalid UESCAPE"},
	// Quoted and cased names are looked up as written.
	{`SELECT "NEXTVAL"('s')`, "NEXTVAL()"},
	{`SELECT "coalesce"(1)`, "coalesce()"},
	{`SELECT NextVal('s')`, "nextval()"},
	// SQL run from a string.
	{"SELECT query_to_xml('delete from t returning 1', true, false, '')", "query_to_xml()"},
	{"SELECT query_to_xmlschema('delete from t', true, false, '')", "query_to_xmlschema()"},
	{"SELECT query_to_xml_and_xmlschema('delete from t', true, false, '')", "query_to_xml_and_xmlschema()"},
	{"SELECT cursor_to_xml('c', 1, true, false, '')", "cursor_to_xml()"},
	{"SELECT table_to_xml('t', true, false, '')", "table_to_xml()"},
	{"SELECT * FROM ts_stat('delete from t returning to_tsvector(x)')", "ts_stat()"},
	{"SELECT ts_rewrite('a'::tsquery, 'delete from t returning 1')", "ts_rewrite()"},
	{"SELECT xmlelement(name x, query_to_xml('delete from t', true, false, ''))", "query_to_xml()"},
	// Side-effecting built-ins.
	{"SELECT brin_summarize_new_values('i')", "brin_summarize_new_values()"},
	{"SELECT gin_clean_pending_list('i')", "gin_clean_pending_list()"},
	{"SELECT pg_stat_statements_reset()", "pg_stat_statements_reset()"},
	{"SELECT * FROM pg_logical_slot_get_changes('s', NULL, NULL)", "pg_logical_slot_get_changes()"},
	{"SELECT lo_from_bytea(0, 'x')", "lo_from_bytea()"},
	{"SELECT pg_catalog.pg_reload_conf()", "pg_reload_conf()"},
	{"SELECT txid_current()", "txid_current()"},
	{"SELECT pg_sleep(100)", "pg_sleep()"},
	{"SELECT currval('s'), lastval()", "currval()"},
	{"SELECT * FROM ROWS FROM (nextval('s'))", "nextval()"},
	{"SELECT 1 WHERE 1 = 1 AND nextval('s') > 0", "nextval()"},
	{"SELECT now() AT TIME ZONE nextval('s')::text", "nextval()"},
	{"SELECT x FROM t JOIN LATERAL nextval('s') n ON true", "nextval()"},
	{"SELECT count(*) FILTER (WHERE nextval('s') > 0) FROM t", "nextval()"},
	{"SELECT * FROM t TABLESAMPLE system(nextval('s'))", "nextval()"},
	{"SELECT CAST(nextval('s') AS int)", "nextval()"},
	{"SELECT nextval('s')::numeric(10, 2)", "nextval()"},
	{"SELECT 1 AS materialized, setval('s', 1)", "setval()"},
	{"WITH x(a) AS (SELECT nextval('s')) SELECT * FROM x", "nextval()"},
	{"WITH a AS (SELECT 1) SELECT * FROM a, dblink('x', 'delete from t') AS (x int)", "dblink()"},
	{"WITH a AS (SELECT 1) SELECT * FROM a, nextval('s') AS MATERIALIZED (x)", "nextval()"},
	{"SELECT $x$a$x$ || nextval('s')", "nextval()"},
	// User-defined and other schemas.
	{"SELECT my_func(1)", "my_func()"},
	{"SELECT public.f(1)", "public.f()"},
	{"SELECT ext.dblink('x', 'y')", "ext.dblink()"},
	{"SELECT * FROM public.lower('A')", "public.lower()"},
	{"SELECT mydb.pg_catalog.lower('A')", "mydb.pg_catalog.lower()"},
	{"SELECT my_func(1)", "without --read-only"},
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

// The allow-list holds none of the functions the issue names.
func TestAllowListExcludesWriters(t *testing.T) {
	for _, n := range []string{"nextval", "setval", "currval", "lastval", "set_config", "setseed", "txid_current",
		"pg_current_xact_id", "pg_sleep", "dblink", "dblink_exec", "lo_from_bytea", "lo_import", "lo_export",
		"query_to_xml", "query_to_xmlschema", "query_to_xml_and_xmlschema", "cursor_to_xml", "cursor_to_xmlschema",
		"table_to_xml", "schema_to_xml", "database_to_xml", "ts_stat", "ts_rewrite", "brin_summarize_new_values",
		"brin_summarize_range", "gin_clean_pending_list", "pg_stat_statements_reset", "pg_stat_reset",
		"pg_logical_slot_get_changes", "pg_terminate_backend", "pg_cancel_backend", "pg_reload_conf",
		"pg_read_file", "pg_advisory_lock", "pg_notify", "pg_switch_wal"} {
		if allowedFunctions[n] {
			t.Errorf("%s is on the read-only allow-list", n)
		}
		if err := ReadOnly("SELECT " + n + "()"); err == nil {
			t.Errorf("SELECT %s() accepted", n)
		}
	}
}

func TestUnicodeIdentifiers(t *testing.T) {
	for in, want := range map[string]string{
		`U&"d\0061t\+000061"`:        "data",
		`U&"a!0062" UESCAPE '!'`:     "ab",
		`U&"a!!b" UESCAPE '!'`:       "a!b",
		`U&"a\\b"`:                   `a\b`,
		`U&"\D83D\DE00"`:             "\U0001F600",
		`U&"a""b"`:                   `a"b`,
		`U&"x#0079" UESCAPE E'#'`:    "xy",
		`U&"x#0079" UESCAPE $q$#$q$`: "xy",
	} {
		toks, err := lex(in)
		if err != nil || len(toks) != 1 || toks[0].kind != kQIdent || toks[0].text != want {
			t.Errorf("lex(%s) = %+v, %v; want one identifier %q", in, toks, err, want)
		}
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
	// U& identifiers (with and without UESCAPE) and dollar quoting.
	for _, q := range []string{`U&"a\0062"(1)`, `SELECT U&"a!0062" UESCAPE '!' (1)`, `SELECT U&"\+00006E"(1)`,
		`SELECT U&"\D83D\DE00"`, `SELECT U&'x' UESCAPE '#'`, `SELECT U&"x" UESCAPE`, `SELECT U&"lower"('a')`,
		"SELECT $a$ $b$ $a$ nextval('s')", "SELECT $$$$, $_$ $ $_$ f(1)", "SELECT $1$$ lower(1)"} {
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
		if err == nil {
			// No accepted text calls an unqualified quoted name that is
			// off the allow-list once decoded.
			toks, _ := lex(q)
			ctes := cteNames(toks)
			for i := 0; i+1 < len(toks); i++ {
				if toks[i].kind == kQIdent && toks[i+1].punct("(") && !ctes[i] && !allowedFunctions[toks[i].text] &&
					!(i > 0 && (toks[i-1].punct(".") || notCall(toks, i))) {
					t.Fatalf("accepted %q, which calls %q", q, toks[i].text)
				}
			}
		}
		// Deterministic.
		if err2 := ReadOnly(q); (err == nil) != (err2 == nil) {
			t.Fatalf("ReadOnly(%q) is not deterministic", q)
		}
	})
}
