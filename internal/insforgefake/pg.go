package insforgefake

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/insforge-mcp/insforge-mcp/internal/pgtest"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// PostgreSQL backing. Every Server has a PostgreSQL database of its own on
// the test process's throwaway cluster (internal/pgtest): joins, CTEs,
// subqueries and every other valid SQL behave as on PostgreSQL, and its
// errors are PostgreSQL's own.

// pgStatementTimeout is the backend's per-request statement_timeout.
var pgStatementTimeout = 30 * time.Second

// pgDB is a server's database, made by open: at once (Start) or when the
// server first needs it (New).
type pgDB struct {
	once sync.Once
	pool *pgxpool.Pool
	drop func()
	err  error
}

// open makes the database on first use and returns its pool.
func (p *pgDB) open() (*pgxpool.Pool, error) {
	p.once.Do(func() {
		p.pool, p.drop, p.err = openPG()
		if p.err != nil {
			p.err = fmt.Errorf("insforgefake: the server's PostgreSQL database: %w", p.err)
			fmt.Fprintln(os.Stderr, p.err)
		}
	})
	return p.pool, p.err
}

// errClosed is the database error of a closed server.
var errClosed = errors.New("insforgefake: the server is closed")

func (p *pgDB) close() {
	p.once.Do(func() { p.err = errClosed }) // a database never made stays unmade
	if p.pool != nil {
		p.pool.Close()
		p.drop()
	}
}

// pgBootstrap prepares a fresh database like an InsForge project's: the
// system schemas and the project_admin role the /rawsql endpoint runs as.
const pgBootstrap = `
DO $$ BEGIN
  CREATE ROLE project_admin NOLOGIN BYPASSRLS;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
END $$;
DO $$ BEGIN
  CREATE ROLE anon NOLOGIN;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
END $$;
DO $$ BEGIN
  CREATE ROLE authenticated NOLOGIN;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
END $$;
CREATE SCHEMA IF NOT EXISTS auth; CREATE SCHEMA IF NOT EXISTS storage; CREATE SCHEMA IF NOT EXISTS system;
CREATE SCHEMA IF NOT EXISTS realtime; CREATE SCHEMA IF NOT EXISTS functions; CREATE SCHEMA IF NOT EXISTS schedules;
CREATE OR REPLACE FUNCTION system.update_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN NEW.updated_at = now(); RETURN NEW; END $$;
CREATE TABLE auth.users (id uuid CONSTRAINT _user_pkey PRIMARY KEY DEFAULT gen_random_uuid(), email text NOT NULL CONSTRAINT _user_email_key UNIQUE,
  password text, email_verified boolean DEFAULT false, created_at timestamptz DEFAULT now(), updated_at timestamptz DEFAULT now(),
  profile jsonb DEFAULT '{}', metadata jsonb DEFAULT '{}', is_project_admin boolean NOT NULL DEFAULT false, is_anonymous boolean NOT NULL DEFAULT false);
CREATE INDEX idx_users_lower_email ON auth.users (lower(email));
CREATE TABLE auth.config (id uuid CONSTRAINT _auth_configs_pkey PRIMARY KEY DEFAULT gen_random_uuid(), require_email_verification boolean NOT NULL DEFAULT false,
  password_min_length integer NOT NULL DEFAULT 6, disable_signup boolean NOT NULL DEFAULT false, created_at timestamptz DEFAULT now(), updated_at timestamptz DEFAULT now());
CREATE UNIQUE INDEX idx_auth_configs_singleton ON auth.config ((1));
CREATE TABLE auth.custom_oauth_configs (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), key text NOT NULL UNIQUE, name text NOT NULL,
  discovery_endpoint text NOT NULL, client_id text NOT NULL, created_at timestamptz DEFAULT now(), updated_at timestamptz DEFAULT now());
CREATE TABLE auth.email_otps (id uuid CONSTRAINT _email_otps_pkey PRIMARY KEY DEFAULT gen_random_uuid(), email text NOT NULL, purpose text NOT NULL,
  otp_hash text NOT NULL, expires_at timestamptz NOT NULL, consumed_at timestamptz, created_at timestamptz DEFAULT now(), updated_at timestamptz DEFAULT now(),
  CONSTRAINT _email_otps_email_purpose_key UNIQUE (email, purpose));
CREATE TABLE auth.oauth_configs (id uuid CONSTRAINT _oauth_configs_pkey PRIMARY KEY DEFAULT gen_random_uuid(), provider text NOT NULL CONSTRAINT _oauth_configs_provider_key UNIQUE,
  client_id text, redirect_uri text, use_shared_key boolean NOT NULL DEFAULT false, created_at timestamptz DEFAULT now(), updated_at timestamptz DEFAULT now());
CREATE TABLE auth.user_providers (id uuid CONSTRAINT _account_pkey PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL CONSTRAINT user_providers_user_id_fkey REFERENCES auth.users (id) ON DELETE CASCADE, provider text NOT NULL,
  provider_account_id text NOT NULL, access_token text, refresh_token text, provider_data jsonb, created_at timestamptz DEFAULT now(), updated_at timestamptz DEFAULT now(),
  CONSTRAINT _account_provider_provider_account_id_key UNIQUE (provider, provider_account_id));
CREATE TABLE storage.buckets (name text PRIMARY KEY, public boolean DEFAULT true, created_at timestamptz DEFAULT now(), updated_at timestamptz DEFAULT now());
CREATE TABLE storage.objects (bucket text NOT NULL CONSTRAINT _storage_bucket_fkey REFERENCES storage.buckets (name) ON DELETE CASCADE, key text NOT NULL,
  size integer NOT NULL, mime_type text, uploaded_at timestamptz DEFAULT now(), uploaded_by text, uploaded_via text, s3_access_key_id text, etag text,
  CONSTRAINT _storage_pkey PRIMARY KEY (bucket, key));
CREATE TABLE system.secrets (id uuid CONSTRAINT _secrets_pkey PRIMARY KEY DEFAULT gen_random_uuid(), key text NOT NULL UNIQUE, value_ciphertext text NOT NULL,
  is_active boolean DEFAULT true, is_reserved boolean DEFAULT false, last_used_at timestamptz, expires_at timestamptz, created_at timestamptz DEFAULT now(), updated_at timestamptz DEFAULT now());
CREATE TABLE system.custom_migrations (version text PRIMARY KEY, name text NOT NULL, statements text[] NOT NULL, created_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE realtime.channels (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), pattern text NOT NULL UNIQUE, description text, webhook_urls text[],
  enabled boolean NOT NULL DEFAULT true, created_at timestamptz DEFAULT now(), updated_at timestamptz DEFAULT now());
GRANT SELECT ON ALL TABLES IN SCHEMA auth, storage, system, realtime TO project_admin;
GRANT INSERT, UPDATE, DELETE ON auth.users, auth.custom_oauth_configs, auth.email_otps, auth.oauth_configs, auth.user_providers, realtime.channels TO project_admin;
GRANT REFERENCES, TRIGGER ON auth.users TO project_admin;
GRANT REFERENCES ON storage.objects TO project_admin;
CREATE TABLE realtime.outbox (n bigserial, id uuid, channel_id uuid, channel text, event text, payload jsonb);
-- realtime.publish sees the realtime module's enabled channels (in Go) in
-- the insforge.channels setting of the request; the messages it publishes
-- are taken from realtime.outbox once the request has committed.
CREATE FUNCTION realtime.publish(p_channel text, p_event text, p_payload jsonb) RETURNS uuid
LANGUAGE plpgsql SECURITY DEFINER AS $$
DECLARE ch jsonb; mid uuid := gen_random_uuid();
BEGIN
  SELECT e.c INTO ch FROM jsonb_array_elements(coalesce(nullif(current_setting('insforge.channels', true), ''), '[]')::jsonb) WITH ORDINALITY AS e(c, n)
    WHERE p_channel = e.c->>'pattern' OR p_channel LIKE e.c->>'pattern' ORDER BY (p_channel = e.c->>'pattern') DESC, e.n LIMIT 1;
  IF ch IS NULL THEN RETURN NULL; END IF;
  INSERT INTO realtime.outbox (id, channel_id, channel, event, payload) VALUES (mid, (ch->>'id')::uuid, p_channel, p_event, p_payload);
  RETURN mid;
END $$;
GRANT EXECUTE ON FUNCTION realtime.publish(text, text, jsonb) TO project_admin;
GRANT USAGE ON SCHEMA auth, storage, system, realtime, functions, schedules TO project_admin;
GRANT ALL ON SCHEMA public TO project_admin;
DO $$ BEGIN EXECUTE format('GRANT CREATE ON DATABASE %I TO project_admin', current_database()); END $$;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON TABLES TO project_admin;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON SEQUENCES TO project_admin;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON FUNCTIONS TO project_admin;
`

// The bootstrap runs once per test process, in a template database each
// Server's database is copied from.
var (
	templateOnce sync.Once
	templateName string
	templateErr  error
)

func pgTemplate() (string, error) {
	templateOnce.Do(func() {
		dsn, _, err := pgtest.CreateDB()
		if err != nil {
			templateErr = err
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			templateErr = err
			return
		}
		defer conn.Close(context.Background())
		if _, err := conn.Exec(ctx, pgBootstrap); err != nil {
			templateErr = err
			return
		}
		templateName = conn.Config().Database
	})
	return templateName, templateErr
}

func openPG() (*pgxpool.Pool, func(), error) {
	tmpl, err := pgTemplate()
	if err != nil {
		return nil, nil, err
	}
	dsn, drop, err := pgtest.CreateDBFrom(tmpl)
	if err != nil {
		return nil, nil, err
	}
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		drop()
		return nil, nil, err
	}
	cfg.MaxConns = 4
	cfg.ConnConfig.RuntimeParams["timezone"] = "UTC"
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err == nil {
		// database privileges are not copied from the template
		_, err = pool.Exec(ctx, "DO $$ BEGIN EXECUTE format('GRANT CREATE ON DATABASE %I TO project_admin', current_database()); END $$")
	}
	if err != nil {
		if pool != nil {
			pool.Close()
		}
		drop()
		return nil, nil, err
	}
	return pool, drop, nil
}

// pgResult is one statement's result in text form.
type pgResult struct {
	fields []pgconn.FieldDescription
	rows   [][][]byte
	tag    pgconn.CommandTag
}

// pgRun runs query as user (project_admin or postgres) in one transaction
// under the statement timeout and returns the statements' results. With
// params the query is one prepared statement (PostgreSQL refuses several).
func (p *pgDB) pgRun(ctx context.Context, query string, params []any, user string, rollback bool, settings ...string) ([]pgResult, error) {
	pool, err := p.open()
	if err != nil {
		return nil, err
	}
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Release()
	pc := conn.Conn().PgConn()
	setup := fmt.Sprintf("BEGIN; SET LOCAL statement_timeout = %d", pgStatementTimeout.Milliseconds())
	if user != "postgres" {
		setup += "; SET LOCAL ROLE " + user
	}
	for i := 0; i+1 < len(settings); i += 2 {
		setup += fmt.Sprintf("; SELECT set_config('%s', '%s', true)", settings[i], strings.ReplaceAll(settings[i+1], "'", "''"))
	}
	if _, err := pc.Exec(ctx, setup).ReadAll(); err != nil {
		return nil, err
	}
	var out []pgResult
	if len(params) == 0 {
		mrr := pc.Exec(ctx, query)
		for err == nil && mrr.NextResult() {
			var r pgResult
			r, err = readResult(mrr.ResultReader())
			out = append(out, r)
		}
		if cerr := mrr.Close(); err == nil {
			err = cerr
		}
	} else {
		vals := make([][]byte, len(params))
		for i, v := range params {
			vals[i] = pgParam(v)
		}
		var r pgResult
		r, err = readResult(pc.ExecParams(ctx, query, vals, nil, nil, nil))
		out = append(out, r)
	}
	end := "COMMIT"
	if err != nil || rollback {
		end = "ROLLBACK"
	}
	if _, cerr := pc.Exec(context.Background(), end).ReadAll(); cerr != nil && err == nil {
		err = cerr
	}
	return out, err
}

// readResult reads a whole result, keeping the fields of an empty one.
func readResult(rr *pgconn.ResultReader) (pgResult, error) {
	var r pgResult
	for rr.NextRow() {
		vals := rr.Values()
		row := make([][]byte, len(vals))
		for i, v := range vals {
			if v != nil {
				row[i] = append([]byte{}, v...)
			}
		}
		r.rows = append(r.rows, row)
	}
	r.fields = append([]pgconn.FieldDescription{}, rr.FieldDescriptions()...)
	tag, err := rr.Close()
	r.tag = tag
	return r, err
}

// pgParam encodes a JSON parameter in text form, as node-pg does: arrays
// as Postgres array literals, objects as JSON.
func pgParam(v any) []byte {
	switch x := v.(type) {
	case nil:
		return nil
	case string:
		return []byte(x)
	case bool:
		return []byte(strconv.FormatBool(x))
	case float64:
		return []byte(strconv.FormatFloat(x, 'f', -1, 64))
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			if e == nil {
				parts[i] = "NULL"
				continue
			}
			b := pgParam(e)
			parts[i] = `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(string(b)) + `"`
		}
		return []byte("{" + strings.Join(parts, ",") + "}")
	}
	b, _ := json.Marshal(v)
	return b
}

func toPGError(err error) *pgError {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return &pgError{Code: pe.Code, Message: pe.Message, Details: pe.Detail, Hint: pe.Hint}
	}
	return &pgError{Code: "XX000", Message: err.Error()}
}

// pgAPIError maps a PostgreSQL error like the backend's error middleware.
// The backend parses SQL (libpg-query) before running it, so a syntax
// error is its 403 "could not be parsed".
func pgAPIError(err error) *APIError {
	e := toPGError(err)
	switch {
	case e.Code == "42601" && strings.HasPrefix(e.Message, "syntax error"):
		return errUnparseableSQL()
	case e.Code == "57014" && strings.Contains(e.Message, "statement timeout"):
		return errInternal("Query timeout: " + e.Message)
	}
	return e.toAPIError()
}

// pgResponse renders a result like node-pg: {rows, rowCount, fields}.
func pgResponse(r pgResult) sqlResponse {
	fields := make([]Field, len(r.fields))
	keys := make([]string, len(r.fields))
	for i, f := range r.fields {
		fields[i] = Field{Name: f.Name, DataTypeID: int(f.DataTypeOID)}
		keys[i] = f.Name
	}
	// Rows are JavaScript objects: a repeated column name keeps its first
	// position and its last value.
	pos := map[string]int{}
	var uniq []string
	for _, k := range keys {
		if _, ok := pos[k]; !ok {
			pos[k] = len(uniq)
			uniq = append(uniq, k)
		}
	}
	rows := make([]orderedRow, len(r.rows))
	for i, raw := range r.rows {
		o := orderedRow{keys: uniq, vals: make([]any, len(uniq))}
		for j, b := range raw {
			if b != nil {
				o.vals[pos[keys[j]]] = pgWire(r.fields[j].DataTypeOID, b)
			}
		}
		rows[i] = o
	}
	var rc *int
	switch strings.Fields(r.tag.String() + " x")[0] {
	case "SELECT", "INSERT", "UPDATE", "DELETE", "MERGE", "COPY", "FETCH", "MOVE":
		n := int(r.tag.RowsAffected())
		rc = &n
	}
	return sqlResponse{Rows: rows, RowCount: rc, Fields: fields}
}

// pgWire converts a value in Postgres text form to node-pg's JSON form:
// bool, int2/int4/oid/float and JSON values are decoded, dates and
// timestamps become JavaScript dates; anything else (int8 and numeric
// too, arrays here) stays text.
func pgWire(oid uint32, b []byte) any {
	var v any
	switch oid {
	case 16:
		return string(b) == "t"
	case 21, 23, 26, 700, 701, 114, 3802:
		if json.Unmarshal(b, &v) == nil {
			return v
		}
	case 1082, 1114, 1184:
		for _, l := range []string{"2006-01-02 15:04:05.999999-07", "2006-01-02 15:04:05.999999-07:00", "2006-01-02 15:04:05.999999", "2006-01-02"} {
			if t, err := time.Parse(l, string(b)); err == nil {
				return jsDate(t)
			}
		}
	}
	return string(b)
}

// pgColumnSQL is a column's definition in CREATE TABLE.
func pgColumnSQL(c Column) string {
	def := quoteIdent(c.Name) + " " + sqlTypeName(c.Type)
	if c.PrimaryKey {
		def += " PRIMARY KEY"
	} else if c.Unique {
		def += " UNIQUE"
	}
	if !c.Nullable && !c.PrimaryKey {
		def += " NOT NULL"
	}
	if c.Default != "" {
		def += " DEFAULT " + c.Default
	}
	return def
}

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// quoteIdents is a comma-separated list of quoted identifiers.
func quoteIdents(names []string) string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = quoteIdent(n)
	}
	return strings.Join(out, ", ")
}

// pgAddTable is AddTable on PostgreSQL.
func (s *Server) pgAddTable(name string, columns []Column, rows []map[string]any) {
	defs := make([]string, len(columns))
	for i, c := range columns {
		defs[i] = pgColumnSQL(c)
	}
	ctx := context.Background()
	pool, err := s.pg.open()
	if err != nil {
		panic(fmt.Sprintf("insforgefake: AddTable(%q): %v", name, err))
	}
	q := fmt.Sprintf("DROP TABLE IF EXISTS public.%[1]s CASCADE; CREATE TABLE public.%[1]s (%[2]s); ALTER TABLE public.%[1]s ENABLE ROW LEVEL SECURITY; ALTER TABLE public.%[1]s OWNER TO project_admin",
		quoteIdent(name), strings.Join(defs, ", "))
	if _, err := pool.Exec(ctx, q); err != nil {
		panic(fmt.Sprintf("insforgefake: AddTable(%q): %v", name, err))
	}
	// Columns missing from a row take their defaults.
	for i, row := range rows {
		b, _ := json.Marshal(row)
		ins := fmt.Sprintf("INSERT INTO public.%[1]s (%[2]s) SELECT %[2]s FROM jsonb_populate_record(NULL::public.%[1]s, $1::jsonb) r",
			quoteIdent(name), quoteIdents(sortedKeys(row)))
		if _, err := pool.Exec(ctx, ins, string(b)); err != nil {
			panic(fmt.Sprintf("insforgefake: AddTable(%q): row %d: %v", name, i, err))
		}
	}
}

// pgRows is Rows on PostgreSQL. PostgreSQL keeps no insertion order: rows
// come by created_at when the table has it (its ISO text in UTC sorts like
// the time), then in physical order.
func (s *Server) pgRows(name string) []map[string]any {
	texts := s.pgStrings(context.Background(), fmt.Sprintf(`SELECT to_jsonb(t)::text FROM public.%s t ORDER BY to_jsonb(t)->>'created_at' COLLATE "C", ctid`, quoteIdent(name)))
	if texts == nil {
		return nil
	}
	out := make([]map[string]any, len(texts))
	for i, t := range texts {
		_ = json.Unmarshal([]byte(t), &out[i])
	}
	return out
}

// pgTables is Tables on PostgreSQL.
func (s *Server) pgTables() []string {
	return s.pgStrings(context.Background(), "SELECT tablename::text FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")
}

// pgRawSQL answers a raw SQL request on PostgreSQL (guards already passed).
func (s *Server) pgRawSQL(w http.ResponseWriter, r *http.Request, query string, params []any, user string) {
	var settings []string
	publishes := strings.Contains(strings.ToLower(query), "realtime.publish")
	if publishes {
		settings = []string{"insforge.channels", s.realtimeChannelsJSON()}
	}
	res, err := s.pg.pgRun(r.Context(), query, params, user, false, settings...)
	if err != nil {
		writeError(w, pgAPIError(err))
		return
	}
	if publishes {
		s.drainRealtimeOutbox(r.Context())
	}
	if len(res) == 1 {
		writeJSON(w, 200, pgResponse(res[0]))
	} else {
		writeJSON(w, 200, map[string]any{"rows": []any{}})
	}
}

// realtimeChannelsJSON lists the enabled realtime channels for
// realtime.publish.
func (s *Server) realtimeChannelsJSON() string {
	rt := realtimeOf(s)
	rt.mu.Lock()
	defer rt.mu.Unlock()
	out := []map[string]string{}
	for _, c := range rt.channels {
		if c.enabled {
			out = append(out, map[string]string{"id": c.id, "pattern": c.pattern})
		}
	}
	b, _ := json.Marshal(out)
	return string(b)
}

// drainRealtimeOutbox logs the messages realtime.publish stored.
func (s *Server) drainRealtimeOutbox(ctx context.Context) {
	res, err := s.pg.pgRun(ctx, "WITH d AS (DELETE FROM realtime.outbox RETURNING *) SELECT id::text, channel_id::text, channel, event, payload::text FROM d ORDER BY n", nil, "postgres", false)
	if err != nil || len(res) == 0 {
		return
	}
	rt := realtimeOf(s)
	rt.mu.Lock()
	defer rt.mu.Unlock()
	for _, r := range res[0].rows {
		var payload map[string]any
		_ = json.Unmarshal(r[4], &payload)
		chID := string(r[1])
		hooks := 0
		for _, c := range rt.channels {
			if c.id == chID {
				hooks = len(c.webhookURLs)
			}
		}
		rt.add(RealtimeMessage{ID: string(r[0]), EventName: string(r[3]), ChannelID: &chID, ChannelName: string(r[2]), Payload: payload,
			WHAudienceCount: hooks, WHDeliveredCount: hooks})
	}
}

// jsDate is a JavaScript Date as JSON (the backend runs in UTC).
func jsDate(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }
