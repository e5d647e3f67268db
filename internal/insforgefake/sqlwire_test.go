package insforgefake

import (
	"regexp"
	"strings"
	"testing"
)

// sqlBody runs a query and returns the raw answer body (200 expected).
func sqlBody(t *testing.T, srv *Server, q string, params ...any) string {
	t.Helper()
	r := sqlQuery(t, srv, q, params...)
	if r.status != 200 {
		t.Fatalf("%q: %d %s", q, r.status, r.body)
	}
	return string(r.body)
}

// TestRawSQLNodePGTyping checks the JSON forms and dataTypeIDs node-pg
// gives (observed on a real backend); arrays stay text here.
func TestRawSQLNodePGTyping(t *testing.T) {
	t.Parallel()
	srv := New(t)
	for q, want := range map[string]string{
		// observed verbatim on InsForge 2.3.1
		`SELECT count(*) AS c, 1.50::numeric AS n, '2026-01-02'::date AS d, '2026-01-02T03:04:05+02'::timestamptz AS ts, '2026-01-02 03:04:05'::timestamp AS tsn, ARRAY['a','b'] AS ta, ARRAY[1,2] AS ia, interval '1 day' AS iv, NULL AS nul, 1.5::float8 AS f, '{"a":1}'::json AS js, 2147483648 AS bigint_lit`: `{"rows":[{"c":"1","n":"1.50","d":"2026-01-02T00:00:00.000Z","ts":"2026-01-02T01:04:05.000Z","tsn":"2026-01-02T03:04:05.000Z","ta":"{a,b}","ia":"{1,2}","iv":"1 day","nul":null,"f":1.5,"js":{"a":1},"bigint_lit":"2147483648"}],"rowCount":1,"fields":[{"name":"c","dataTypeID":20},{"name":"n","dataTypeID":1700},{"name":"d","dataTypeID":1082},{"name":"ts","dataTypeID":1184},{"name":"tsn","dataTypeID":1114},{"name":"ta","dataTypeID":1009},{"name":"ia","dataTypeID":1007},{"name":"iv","dataTypeID":1186},{"name":"nul","dataTypeID":25},{"name":"f","dataTypeID":701},{"name":"js","dataTypeID":114},{"name":"bigint_lit","dataTypeID":20}]}`,
		`SELECT 1 AS one, 'x'::text AS t, 9007199254740993::bigint AS big, now() IS NOT NULL AS ok`: `{"rows":[{"one":1,"t":"x","big":"9007199254740993","ok":true}],"rowCount":1,"fields":[{"name":"one","dataTypeID":23},{"name":"t","dataTypeID":25},{"name":"big","dataTypeID":20},{"name":"ok","dataTypeID":16}]}`,
		`SELECT 1.50::numeric AS n, 2147483648 AS big, 5::bigint AS b5`:                             `{"rows":[{"n":"1.50","big":"2147483648","b5":"5"}],"rowCount":1,"fields":[{"name":"n","dataTypeID":1700},{"name":"big","dataTypeID":20},{"name":"b5","dataTypeID":20}]}`,
		`SELECT '{"a":1}'::jsonb AS j`: `{"rows":[{"j":{"a":1}}],"rowCount":1,"fields":[{"name":"j","dataTypeID":3802}]}`,
		`SELECT current_user`:          `{"rows":[{"current_user":"project_admin"}],"rowCount":1,"fields":[{"name":"current_user","dataTypeID":19}]}`,
		`SELECT pg_sleep(0)`:           `{"rows":[{"pg_sleep":""}],"rowCount":1,"fields":[{"name":"pg_sleep","dataTypeID":2278}]}`,
		`SELECT 1 AS a, 2 AS a`:        `{"rows":[{"a":2}],"rowCount":1,"fields":[{"name":"a","dataTypeID":23},{"name":"a","dataTypeID":23}]}`,
		`EXPLAIN SELECT 1`:             `{"rows":[{"QUERY PLAN":"Result  (cost=0.00..0.01 rows=1 width=4)"}],"rowCount":null,"fields":[{"name":"QUERY PLAN","dataTypeID":25}]}`,
		`SHOW search_path`:             `{"rows":[{"search_path":"\"$user\", public"}],"rowCount":null,"fields":[{"name":"search_path","dataTypeID":25}]}`,
	} {
		if got := sqlBody(t, srv, q); got != want {
			t.Errorf("%s\n got %s\nwant %s", q, got, want)
		}
	}

	// columns carry their declared types
	mustSQL(t, srv, `CREATE TABLE typed (id bigserial PRIMARY KEY, small int2, qty int, price numeric(10,2), ratio real, at timestamp, born date, doc json, tags text[])`)
	mustSQL(t, srv, `INSERT INTO typed (small, qty, price, ratio, at, born, doc, tags) VALUES (1, 2, 9.5, 0.5, '2026-01-02 03:04:05', '2026-02-03', '{"k":[1]}', ARRAY['x','y'])`)
	got := sqlBody(t, srv, "SELECT * FROM typed")
	want := `{"rows":[{"id":"1","small":1,"qty":2,"price":"9.50","ratio":0.5,"at":"2026-01-02T03:04:05.000Z","born":"2026-02-03T00:00:00.000Z","doc":{"k":[1]},"tags":"{x,y}"}],"rowCount":1,"fields":[{"name":"id","dataTypeID":20},{"name":"small","dataTypeID":21},{"name":"qty","dataTypeID":23},{"name":"price","dataTypeID":1700},{"name":"ratio","dataTypeID":700},{"name":"at","dataTypeID":1114},{"name":"born","dataTypeID":1082},{"name":"doc","dataTypeID":114},{"name":"tags","dataTypeID":1009}]}`
	if got != want {
		t.Errorf("typed columns\n got %s\nwant %s", got, want)
	}
	// aggregates: count and sum(int) are int8, avg numeric, sum(numeric) keeps the scale
	mustSQL(t, srv, `INSERT INTO typed (qty, price) VALUES (5, 1.25), (6, NULL)`)
	got = sqlBody(t, srv, "SELECT count(*) AS n, sum(qty) AS s, avg(qty) AS a, sum(price) AS p, max(price) AS m, sum(ratio) AS r FROM typed")
	want = `{"rows":[{"n":"3","s":"13","a":"4.3333333333333333","p":"10.75","m":"9.50","r":0.5}],"rowCount":1,"fields":[{"name":"n","dataTypeID":20},{"name":"s","dataTypeID":20},{"name":"a","dataTypeID":1700},{"name":"p","dataTypeID":1700},{"name":"m","dataTypeID":1700},{"name":"r","dataTypeID":700}]}`
	if got != want {
		t.Errorf("aggregates\n got %s\nwant %s", got, want)
	}
	if got := sqlBody(t, srv, "SELECT avg(qty) AS a FROM typed WHERE qty = 2"); !strings.Contains(got, `"a":"2.0000000000000000"`) {
		t.Errorf("avg of one int = %s", got)
	}
	// API-created tables keep their friendly types (timestamptz, jsonb, int4)
	if r := createPosts(t, srv); r.status != 201 {
		t.Fatal(string(r.body))
	}
	mustSQL(t, srv, "insert into posts (title, published) values ('a', true)")
	got = sqlBody(t, srv, "select views, created_at from posts")
	if !regexp.MustCompile(`"views":0,"created_at":"20\d\d-\d\d-\d\dT\d\d:\d\d:\d\d\.\d\d\dZ"`).MatchString(got) || !strings.Contains(got, `{"name":"created_at","dataTypeID":1184}`) {
		t.Errorf("posts = %s", got)
	}
	// the records API (PostgREST) keeps numbers and Postgres timestamps
	r := call(t, srv, "GET", "/api/database/records/typed?select=id,price,at&order=id.asc&limit=1", nil)
	if string(r.body) != `[{"id":1,"price":9.5,"at":"2026-01-02T03:04:05"}]` {
		t.Errorf("records = %s", r.body)
	}
}

// TestRawSQLParamsAndBodies covers D10: parameters and request bodies.
func TestRawSQLParamsAndBodies(t *testing.T) {
	t.Parallel()
	srv := New(t)
	// params: [] runs as a simple query: $1 is not a parameter
	wantError(t, call(t, srv, "POST", "/api/database/advance/rawsql", map[string]any{"query": "SELECT $1::int AS a", "params": []any{}}), 500, "INTERNAL_ERROR", "there is no parameter $1")
	wantError(t, call(t, srv, "POST", "/api/database/advance/rawsql", map[string]any{"query": "SELECT $1::int AS a", "params": []any{"x"}}), 500, "INTERNAL_ERROR", `invalid input syntax for type integer: "x"`)
	wantError(t, call(t, srv, "POST", "/api/database/advance/rawsql", map[string]any{"query": "SELECT 1/0 AS z"}), 500, "INTERNAL_ERROR", "division by zero")
	// malformed JSON is a 400 with the backend's hint
	m := wantError(t, call(t, srv, "POST", "/api/database/advance/rawsql", []byte("not json"), "Content-Type", "application/json"), 400, "INVALID_INPUT", "")
	if m["nextActions"] != "Please ensure your request body contains valid JSON" {
		t.Errorf("nextActions = %v", m["nextActions"])
	}
	// a JSON array is valid JSON but not an object
	wantError(t, call(t, srv, "POST", "/api/database/advance/rawsql", []byte(`[]`), "Content-Type", "application/json"), 400, "INVALID_INPUT", "")
	// other content types read as {}
	wantError(t, call(t, srv, "POST", "/api/database/advance/rawsql", []byte(`{"query":"select 1"}`), "Content-Type", "text/plain"), 400, "INVALID_INPUT", "")
	wantError(t, call(t, srv, "POST", "/api/database/advance/rawsql", map[string]any{"query": ""}), 400, "INVALID_INPUT", "")
}
