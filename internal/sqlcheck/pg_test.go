package sqlcheck

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/insforge-mcp/insforge-mcp/internal/pgtest"
)

// pgSchema is what the corpus's names point at, owned by the database
// owner: tables with rows, a sequence, an index, a view and user functions
// that write, so that a disguised write has something to write to.
const pgSchema = `
CREATE TABLE t (id int, a int, b int, x int, done bool, total numeric, created_at timestamptz DEFAULT now(),
	"delete" int, "insert;" int, "a""b; drop" int, nextval int, updated_at timestamptz, "for" int, "a$b" int);
INSERT INTO t (id, a, b, x, done, total) SELECT g, g, g * 2, g, g % 2 = 0, g * 1.5 FROM generate_series(1, 5) g;
CREATE INDEX i ON t (a);
CREATE TABLE u (y int);
INSERT INTO u VALUES (1), (2);
CREATE TABLE todos (id int, title text, done bool, created_at timestamptz DEFAULT now());
INSERT INTO todos (id, title, done) VALUES (1, 'a', false), (2, 'b', true);
CREATE TABLE customers (id int, name text);
INSERT INTO customers VALUES (1, 'c1'), (2, 'c2');
CREATE TABLE orders (id int, customer_id int, user_id int, order_id int, total numeric, done bool, created_at timestamptz DEFAULT now());
INSERT INTO orders (id, customer_id, user_id, order_id, total, done) SELECT g, g % 2 + 1, g % 2 + 1, g, g * 10, g % 2 = 0 FROM generate_series(1, 6) g;
CREATE TABLE items (order_id int, name text);
INSERT INTO items VALUES (1, 'i1');
CREATE TABLE users (id int, email text, name text, created_at timestamptz DEFAULT now());
INSERT INTO users (id, email, name) VALUES (1, 'A@x', 'ann'), (2, 'B@x', 'bob');
CREATE TABLE docs (data jsonb);
INSERT INTO docs VALUES ('{"name": "n", "tags": ["a"], "a": {"b": 1}, "x": 1}');
CREATE TABLE tags (id int, tag text);
INSERT INTO tags VALUES (1, 'a'), (1, 'b');
CREATE SEQUENCE s;
SELECT setval('s', 42);
CREATE MATERIALIZED VIEW v AS SELECT count(*) AS n FROM t;
CREATE FUNCTION my_func(int) RETURNS int LANGUAGE sql AS $$ INSERT INTO t (id) VALUES ($1); SELECT nextval('s')::int $$;
CREATE FUNCTION f(int) RETURNS int LANGUAGE sql AS $$ INSERT INTO t (id) VALUES ($1); SELECT nextval('s')::int $$;
CREATE FUNCTION public.lower(text) RETURNS SETOF text LANGUAGE sql AS $$ INSERT INTO todos (title) VALUES ($1) RETURNING title $$;
CREATE PROCEDURE p() LANGUAGE sql AS $$ INSERT INTO t (id) VALUES (-1) $$;
`

// pgGrants gives the role what InsForge's project_admin has on a project's
// tables: everything but ownership, so any write the check lets through
// would succeed.
const pgGrants = `
GRANT ALL ON ALL TABLES IN SCHEMA public TO %[1]s;
GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO %[1]s;
GRANT ALL ON ALL FUNCTIONS IN SCHEMA public TO %[1]s;
GRANT ALL ON ALL PROCEDURES IN SCHEMA public TO %[1]s;
GRANT USAGE, CREATE ON SCHEMA public TO %[1]s;
GRANT CREATE, TEMP ON DATABASE %[2]s TO %[1]s;
`

// pgState is what the owner sees of the database: table contents, the
// sequence, large objects and the catalogs (new objects, columns, grants).
const pgState = `
SELECT 'lo=' || (SELECT count(*) FROM pg_largeobject_metadata)
	|| ' s=' || (SELECT last_value || '/' || is_called FROM s)
	|| ' prepared=' || (SELECT count(*) FROM pg_prepared_xacts)
	|| ' class=' || (SELECT md5(string_agg(oid || ':' || relname || ':' || relnamespace || ':' || relkind::text || ':' || coalesce(relacl::text, ''), ',' ORDER BY oid)) FROM pg_class)
	|| ' att=' || (SELECT md5(string_agg(attrelid || ':' || attnum || ':' || attname || ':' || attisdropped, ',' ORDER BY attrelid, attnum)) FROM pg_attribute)
	|| ' proc=' || (SELECT md5(string_agg(oid || ':' || proname || ':' || coalesce(proacl::text, ''), ',' ORDER BY oid)) FROM pg_proc)
	|| ' ns=' || (SELECT md5(string_agg(oid || ':' || nspname || ':' || coalesce(nspacl::text, ''), ',' ORDER BY oid)) FROM pg_namespace)
	|| ' misc=' || (SELECT count(*) FROM pg_trigger) || '/' || (SELECT count(*) FROM pg_rewrite) || '/' || (SELECT count(*) FROM pg_policy)
		|| '/' || (SELECT count(*) FROM pg_default_acl) || '/' || (SELECT count(*) FROM pg_constraint) || '/' || (SELECT count(*) FROM pg_type)
		|| '/' || (SELECT count(*) FROM pg_roles) || '/' || (SELECT count(*) FROM pg_database)
		|| '/' || (SELECT coalesce(string_agg(setdatabase || ':' || setrole || ':' || setconfig::text, ','), '') FROM pg_db_role_setting)`

// pgSession is what the role's own session holds after a transaction:
// its settings and any session-level locks.
const pgSession = `
SELECT (SELECT md5(string_agg(name || '=' || setting, ',' ORDER BY name)) FROM pg_settings)
	|| ' locks=' || (SELECT count(*) FROM pg_locks WHERE pid = pg_backend_pid() AND locktype = 'advisory')
	|| ' user=' || current_user || '/' || session_user`

// pgWorkers is how many texts of the corpus run at once. Each worker has
// a database and a role of its own, all made before the first text runs,
// so that a text's effects show in no other worker's before and after (the
// cluster-wide counts of the state, roles and databases, stay still as long
// as no text commits a write to them; a text that did would fail the test
// in its own worker, and maybe in others too).
const pgWorkers = 4

// pgWorker runs texts in its own database as its own role.
type pgWorker struct {
	dsn, role, roleDSN string
	drop               func()     // drops the database
	owner              *pgx.Conn  // the database owner's connection, for state
	roleMade           bool       // the role exists and must be dropped
	last               string     // the state after the worker's last text, "" before the first
	setupErr           error      // why the worker could not be set up
	results            []pgResult // indexed like the texts
}

// pgResult is what running one text found.
type pgResult struct {
	ran   bool
	wrote []string // how the text wrote, if it did
	qerr  error    // the text's own error in PostgreSQL
	notes []string // to log, in order
	err   error    // the run itself failed (not the text): fails the test
}

// setup makes the worker's database, fills it, and makes the role with
// write privileges on it.
func (w *pgWorker) setup(ctx context.Context) error {
	var err error
	if w.dsn, w.drop, err = pgtest.CreateDB(); err != nil {
		return err
	}
	if w.owner, err = pgx.Connect(ctx, w.dsn); err != nil {
		return err
	}
	u, err := url.Parse(w.dsn)
	if err != nil {
		return err
	}
	dbName := strings.TrimPrefix(u.Path, "/")
	w.role = "ro_" + dbName
	if _, err := w.owner.Exec(ctx, pgSchema); err != nil {
		return fmt.Errorf("schema: %v", err)
	}
	if _, err := w.owner.Exec(ctx, "CREATE ROLE "+w.role+" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE"); err != nil {
		return err
	}
	w.roleMade = true
	if _, err := w.owner.Exec(ctx, fmt.Sprintf(pgGrants, w.role, dbName)); err != nil {
		return fmt.Errorf("grants: %v", err)
	}
	u.User = url.User(w.role)
	w.roleDSN = u.String()
	return nil
}

// cleanup registers the removal of what setup made: the role (its
// privileges first), then the database.
func (w *pgWorker) cleanup(t *testing.T) {
	if w.drop != nil {
		t.Cleanup(w.drop)
	}
	if w.owner != nil {
		t.Cleanup(func() { w.owner.Close(context.Background()) })
	}
	if w.roleMade {
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if c, err := pgx.Connect(ctx, w.dsn); err == nil {
				c.Exec(ctx, "DROP OWNED BY "+w.role) //nolint:errcheck // best effort
				c.Exec(ctx, "DROP ROLE "+w.role)     //nolint:errcheck // best effort
				c.Close(context.Background())
			}
		})
	}
}

// state is what the owner sees of the worker's database (and of the
// cluster's roles, databases and settings).
func (w *pgWorker) state(ctx context.Context) (string, error) {
	var s string
	if err := w.owner.QueryRow(ctx, pgState).Scan(&s); err != nil {
		return "", fmt.Errorf("state: %v", err)
	}
	rows, err := w.owner.Query(ctx, "SELECT relname FROM pg_class WHERE relkind IN ('r', 'm') AND relnamespace = 'public'::regnamespace ORDER BY relname")
	if err != nil {
		return "", fmt.Errorf("state: %v", err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return "", fmt.Errorf("state: %v", err)
	}
	for _, n := range names {
		var sum string
		q := `SELECT count(*) || ':' || coalesce(md5(string_agg(r::text, ',' ORDER BY r::text)), '') FROM public.` + pgx.Identifier{n}.Sanitize() + ` r`
		if err := w.owner.QueryRow(ctx, q).Scan(&sum); err != nil {
			return "", fmt.Errorf("state of %s: %v", n, err)
		}
		s += " " + n + "=" + sum
	}
	return s, nil
}

// run runs q as the role, on a connection of its own, in one transaction,
// committed when keep is set and rolled back otherwise, and says whether
// it wrote: the transaction took a transaction id, or the database or the
// session changed.
func (w *pgWorker) run(ctx context.Context, q string, keep bool) (r pgResult) {
	r.ran = true
	conn, err := pgx.Connect(ctx, w.roleDSN)
	if err != nil {
		r.err = fmt.Errorf("connect as %s: %v", w.role, err)
		return r
	}
	defer conn.Close(context.Background())
	var sess0, sess1 string
	if err := conn.QueryRow(ctx, pgSession).Scan(&sess0); err != nil {
		r.err = err
		return r
	}
	// Only the worker's own texts change its database, one at a time: the
	// state after the last one is the state before this one. (Half of the
	// corpus's cost was reading the catalogs twice per text.)
	before := w.last
	if before == "" {
		if before, err = w.state(ctx); err != nil {
			r.err = err
			return r
		}
	}
	if _, err := conn.Exec(ctx, "BEGIN; SET LOCAL statement_timeout = '2s'; SET LOCAL lock_timeout = '1s'"); err != nil {
		r.err = err
		return r
	}
	_, r.qerr = conn.Exec(ctx, q, pgx.QueryExecModeSimpleProtocol)
	if r.qerr == nil {
		var xid *string
		if err := conn.QueryRow(ctx, "SELECT pg_current_xact_id_if_assigned()::text").Scan(&xid); err == nil && xid != nil {
			r.wrote = append(r.wrote, "took transaction id "+*xid)
		}
	}
	end := "COMMIT"
	if !keep || r.qerr != nil {
		end = "ROLLBACK"
	}
	if _, err := conn.Exec(ctx, end); err != nil {
		r.notes = append(r.notes, fmt.Sprintf("%s after %q: %v", end, q, err))
		conn.Exec(ctx, "ROLLBACK") //nolint:errcheck // whatever state it is in
	}
	if conn.IsClosed() {
		r.wrote = append(r.wrote, "closed its own connection")
	} else if err := conn.QueryRow(ctx, pgSession).Scan(&sess1); err != nil {
		r.wrote = append(r.wrote, "session unusable: "+err.Error())
	} else if sess1 != sess0 {
		r.wrote = append(r.wrote, "session changed: "+pgDiff(sess0, sess1))
	}
	after, err := w.state(ctx)
	if err != nil {
		r.err = err
		return r
	}
	w.last = after
	if after != before {
		r.wrote = append(r.wrote, "database changed: "+pgDiff(before, after))
	}
	return r
}

// TestReadOnlyCorpusOnPostgres runs the corpus on a real PostgreSQL as a
// non-superuser with write privileges: every text ReadOnly accepts must
// leave the database and the session as they were. The refused texts run
// too, only to report how many would have written, which shows the corpus
// tests something. Each text runs on a new connection; pgWorkers of them
// at a time, each worker in its own database.
func TestReadOnlyCorpusOnPostgres(t *testing.T) {
	pgtest.Require(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	accepted, refused := pgCorpus(t)
	if len(accepted) < 50 {
		t.Fatalf("only %d accepted texts", len(accepted))
	}
	texts := append(append([]string(nil), accepted...), refused...)
	keep := func(i int) bool { return i < len(accepted) } // refused texts are rolled back

	// Every worker is set up before any text runs.
	workers := make([]*pgWorker, pgWorkers)
	var wg sync.WaitGroup
	for i := range workers {
		w := &pgWorker{results: make([]pgResult, len(texts))}
		workers[i] = w
		wg.Go(func() { w.setupErr = w.setup(ctx) })
	}
	wg.Wait()
	for _, w := range workers {
		w.cleanup(t)
	}
	for _, w := range workers {
		if w.setupErr != nil {
			t.Fatal(w.setupErr)
		}
	}

	jobs := make(chan int, len(texts))
	for i := range texts {
		jobs <- i
	}
	close(jobs)
	for _, w := range workers {
		wg.Go(func() {
			for i := range jobs {
				w.results[i] = w.run(ctx, texts[i], keep(i))
				if w.results[i].err != nil {
					return // the other workers take the rest
				}
			}
		})
	}
	wg.Wait()
	results := make([]pgResult, len(texts))
	for _, w := range workers {
		for i, r := range w.results {
			if r.ran {
				results[i] = r
			}
		}
	}
	for i, r := range results {
		if r.err != nil {
			t.Fatalf("running %q: %v", texts[i], r.err)
		}
		if !r.ran {
			t.Fatalf("%q did not run", texts[i])
		}
	}

	var failed int
	for i, q := range accepted {
		r := results[i]
		for _, n := range r.notes {
			t.Log(n)
		}
		if r.qerr != nil {
			failed++
			t.Logf("accepted, fails in PostgreSQL (writes nothing): %q: %v", q, r.qerr)
		}
		for _, w := range r.wrote {
			t.Errorf("ReadOnly accepts %q, which wrote as a non-superuser: %s", q, w)
		}
	}
	var wrote int
	for i, q := range refused {
		r := results[len(accepted)+i]
		for _, n := range r.notes {
			t.Log(n)
		}
		if len(r.wrote) > 0 {
			wrote++
			t.Logf("refused, would write: %q: %s", q, strings.Join(r.wrote, "; "))
		} else if testing.Verbose() {
			t.Logf("refused, writes nothing here: %q (error: %v)", q, r.qerr)
		}
	}
	t.Logf("ran %d accepted texts (%d failed in PostgreSQL); %d of %d refused texts would have written", len(accepted), failed, wrote, len(refused))
	if wrote == 0 {
		t.Errorf("no refused text wrote: the setup gives the disguises nothing to write to")
	}
}

// pgDiff lists the space-separated fields of a state that differ.
func pgDiff(before, after string) string {
	b, a := strings.Fields(before), strings.Fields(after)
	var d []string
	for i := 0; i < len(b) || i < len(a); i++ {
		switch {
		case i >= len(a):
			d = append(d, b[i]+" -> (gone)")
		case i >= len(b):
			d = append(d, "(new) "+a[i])
		case a[i] != b[i]:
			d = append(d, b[i]+" -> "+a[i])
		}
	}
	return strings.Join(d, ", ")
}

// pgCorpus returns the corpus (the accept and refuse cases and the fuzz
// seed files), deduplicated and split by ReadOnly's verdict.
func pgCorpus(t *testing.T) (accepted, refused []string) {
	seen := map[string]bool{}
	add := func(q string) {
		if seen[q] {
			return
		}
		seen[q] = true
		if ReadOnly(q) == nil {
			accepted = append(accepted, q)
		} else {
			refused = append(refused, q)
		}
	}
	for _, q := range readCases {
		add(q)
	}
	for _, c := range writeCases {
		add(c.sql)
	}
	files, _ := filepath.Glob(filepath.Join("testdata", "fuzz", "FuzzReadOnly", "*"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(b), "\n") {
			if s, ok := strings.CutPrefix(line, "string("); ok {
				q, err := strconv.Unquote(strings.TrimSuffix(s, ")"))
				if err != nil {
					t.Fatalf("%s: %v", f, err)
				}
				add(q)
			}
		}
	}
	return accepted, refused
}
