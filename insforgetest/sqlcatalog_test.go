package insforgetest

import (
	"reflect"
	"strings"
	"testing"
)

const rlsNext = "A row-level security policy denied this operation. Verify the calling user owns the row (uploaded_by / user_id matches the JWT sub), or that an appropriate INSERT/UPDATE/DELETE policy exists for this role."

// TestSystemSchemas covers D3: the InsForge system schemas and the
// privileges of project_admin (as observed on a real backend).
func TestSystemSchemas(t *testing.T) {
	srv := New(t)
	// auth.users is readable and writable through raw SQL
	res := mustSQL(t, srv, "INSERT INTO auth.users (email) VALUES ('x@y.z')")
	if res["rowCount"] != float64(1) {
		t.Errorf("insert auth.users = %v", res)
	}
	if got := sqlBody(t, srv, "SELECT count(*) AS n FROM auth.users"); got != `{"rows":[{"n":"1"}],"rowCount":1,"fields":[{"name":"n","dataTypeID":20}]}` {
		t.Errorf("count auth.users = %s", got)
	}
	if got := sqlBody(t, srv, "UPDATE auth.users SET email = email WHERE false"); got != `{"rows":[],"rowCount":0,"fields":[]}` {
		t.Errorf("update = %s", got)
	}
	row := rowsOf(t, mustSQL(t, srv, "SELECT id, email, email_verified, profile, is_project_admin FROM auth.users"))[0].(map[string]any)
	if row["email"] != "x@y.z" || row["email_verified"] != false || !reflect.DeepEqual(row["profile"], map[string]any{}) || row["is_project_admin"] != false || row["id"] == nil {
		t.Errorf("auth.users row = %v", row)
	}
	wantError(t, sqlQuery(t, srv, "INSERT INTO auth.users (email) VALUES ('x@y.z')"), 409, "DATABASE_DUPLICATE", `duplicate key value violates unique constraint "_user_email_key"`)
	if got := sqlBody(t, srv, "DELETE FROM auth.users"); got != `{"rows":[],"rowCount":1,"fields":[]}` {
		t.Errorf("delete = %s", got)
	}
	// storage.objects is readable (and empty)
	if got := sqlBody(t, srv, "SELECT * FROM storage.objects LIMIT 1"); got != `{"rows":[],"rowCount":0,"fields":[{"name":"bucket","dataTypeID":25},{"name":"key","dataTypeID":25},{"name":"size","dataTypeID":23},{"name":"mime_type","dataTypeID":25},{"name":"uploaded_at","dataTypeID":1184},{"name":"uploaded_by","dataTypeID":25},{"name":"uploaded_via","dataTypeID":25},{"name":"s3_access_key_id","dataTypeID":25},{"name":"etag","dataTypeID":25}]}` {
		t.Errorf("storage.objects = %s", got)
	}
	// refusals with the RLS nextActions of the backend's 42501 mapping
	for q, msg := range map[string]string{
		"INSERT INTO system.secrets (key, value_ciphertext) VALUES ('x','y')": "permission denied for table secrets",
		"UPDATE storage.objects SET size = 1":                                 "permission denied for table objects",
		"TRUNCATE auth.users":                                                 "permission denied for table users",
		"DROP TABLE auth.users":                                               "must be owner of table users",
		"ALTER TABLE auth.users ADD COLUMN x int":                             "must be owner of table users",
		"CREATE INDEX users_x ON auth.users (email)":                          "must be owner of table users",
		"CREATE POLICY p ON auth.users FOR SELECT USING (true)":               "must be owner of table users",
		"CREATE TABLE system.probe_x (x int)":                                 "permission denied for schema system",
		"CREATE TABLE auth.t (x int)":                                         "permission denied for schema auth",
		"DROP SCHEMA auth CASCADE":                                            "must be owner of schema auth",
		"CREATE FUNCTION auth.f() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$": "permission denied for schema auth",
	} {
		m := wantError(t, sqlQuery(t, srv, q), 403, "FORBIDDEN", msg)
		if m["nextActions"] != rlsNext {
			t.Errorf("%s: nextActions = %v", q, m["nextActions"])
		}
	}
	// the unrestricted endpoint runs as postgres
	r := call(t, srv, "POST", "/api/database/advance/rawsql/unrestricted", map[string]any{"query": "INSERT INTO system.secrets (key, value_ciphertext) VALUES ('x','y')"})
	if r.status != 200 {
		t.Errorf("unrestricted insert: %d %s", r.status, r.body)
	}
	wantError(t, sqlQuery(t, srv, "SELECT * FROM nope.t"), 400, "DATABASE_VALIDATION_ERROR", `relation "nope.t" does not exist`)

	// the table API: system tables are listed and described, not owned
	if got := call(t, srv, "GET", "/api/database/tables?schema=storage", nil).arr(t); !reflect.DeepEqual(got, []any{"buckets", "objects"}) {
		t.Errorf("storage tables = %v", got)
	}
	s := call(t, srv, "GET", "/api/database/tables/users/schema?schema=auth", nil)
	if !strings.Contains(string(s.body), `{"columnName":"email","type":"string","isNullable":false,"isPrimaryKey":false,"isUnique":true}`) ||
		!strings.Contains(string(s.body), `{"columnName":"profile","type":"json","isNullable":true,"isPrimaryKey":false,"isUnique":false,"defaultValue":"{}"}`) ||
		!strings.HasPrefix(string(s.body), `{"schemaName":"auth","tableName":"users","columns":[{"columnName":"id","type":"uuid","isNullable":false,"isPrimaryKey":true,"isUnique":true,"defaultValue":"gen_random_uuid()"}`) {
		t.Errorf("auth.users schema = %s", s.body)
	}
	m := wantError(t, call(t, srv, "DELETE", "/api/database/tables/users?schema=auth", nil), 403, "FORBIDDEN", "must be owner of table users")
	if m["nextActions"] != rlsNext {
		t.Errorf("nextActions = %v", m["nextActions"])
	}
	wantError(t, call(t, srv, "PATCH", "/api/database/tables/users/schema?schema=auth", map[string]any{"dropColumns": []any{"password"}}), 403, "FORBIDDEN", "must be owner of table users")
	wantError(t, call(t, srv, "POST", "/api/database/tables?schema=system", map[string]any{"tableName": "t", "columns": []any{map[string]any{"columnName": "x", "type": "string", "isNullable": true, "isUnique": false}}}),
		403, "FORBIDDEN", "permission denied for schema system")
	// DELETE of a table that does not exist in a schema is a no-op (DROP TABLE IF EXISTS)
	if r := call(t, srv, "DELETE", "/api/database/tables/mig_t?schema=auth", nil); r.status != 200 || !strings.Contains(string(r.body), `"schemaName":"auth"`) {
		t.Errorf("delete missing: %d %s", r.status, r.body)
	}
	// listings of a system schema
	trg := call(t, srv, "GET", "/api/database/triggers?schema=auth", nil).obj(t)["triggers"].([]any)
	if len(trg) != 4 || trg[0].(map[string]any)["triggerName"] != "update_config_updated_at" {
		t.Errorf("auth triggers = %v", trg)
	}
	idx := call(t, srv, "GET", "/api/database/indexes?schema=auth", nil).obj(t)["indexes"].([]any)
	if len(idx) != 17 || idx[0].(map[string]any)["indexName"] != "_auth_configs_pkey" || idx[16].(map[string]any)["indexDef"] != "CREATE INDEX idx_users_lower_email ON auth.users USING btree (lower(email))" {
		t.Errorf("auth indexes = %v", idx)
	}
	fns := call(t, srv, "GET", "/api/database/functions?schema=auth", nil).obj(t)["functions"].([]any)
	if len(fns) != 4 || fns[3].(map[string]any)["functionDef"] != "CREATE OR REPLACE FUNCTION auth.uid()\n RETURNS uuid\n LANGUAGE sql\n STABLE\nAS $function$\n  SELECT nullif(auth.jwt() ->> 'sub', '')::uuid\n$function$\n" {
		t.Errorf("auth functions = %v", fns)
	}
	// foreign keys to auth.users are allowed and enforced
	mustSQL(t, srv, "INSERT INTO auth.users (id, email) VALUES ('00000000-0000-4000-8000-000000000001', 'a@b.c')")
	r = call(t, srv, "POST", "/api/database/tables", map[string]any{"tableName": "profiles",
		"columns":     []any{map[string]any{"columnName": "user_id", "type": "uuid", "isNullable": false, "isUnique": true}},
		"foreignKeys": []any{map[string]any{"referenceTable": "auth.users", "referenceColumns": []any{map[string]any{"sourceColumn": "user_id", "referenceColumn": "id"}}, "onDelete": "CASCADE", "onUpdate": "NO ACTION"}}})
	if r.status != 201 {
		t.Fatalf("profiles: %d %s", r.status, r.body)
	}
	fk := call(t, srv, "GET", "/api/database/tables/profiles/schema", nil).obj(t)["foreignKeys"].([]any)[0].(map[string]any)
	if fk["constraintName"] != "fk_user_id_auth_users_id" || fk["referenceTable"] != "auth.users" {
		t.Errorf("fk = %v", fk)
	}
	wantError(t, sqlQuery(t, srv, "INSERT INTO profiles (user_id) VALUES ('00000000-0000-4000-8000-000000000002')"), 400, "DATABASE_CONSTRAINT_VIOLATION", "")
	mustSQL(t, srv, "INSERT INTO profiles (user_id) VALUES ('00000000-0000-4000-8000-000000000001')")
	mustSQL(t, srv, "DELETE FROM auth.users WHERE email = 'a@b.c'")
	if n := len(srv.Rows("profiles")); n != 0 {
		t.Errorf("cascade from auth.users left %d rows", n)
	}
	wantError(t, sqlQuery(t, srv, "CREATE TABLE r (x text REFERENCES system.secrets (key))"), 403, "FORBIDDEN", "permission denied for table secrets")
}

// TestCustomSchemas covers schemas created with CREATE SCHEMA.
func TestCustomSchemas(t *testing.T) {
	srv := New(t)
	mustSQL(t, srv, "CREATE SCHEMA probe_s")
	wantError(t, sqlQuery(t, srv, "CREATE SCHEMA probe_s"), 500, "INTERNAL_ERROR", `schema "probe_s" already exists`)
	mustSQL(t, srv, "CREATE SCHEMA IF NOT EXISTS probe_s")
	mustSQL(t, srv, "CREATE TABLE probe_s.t1 (id int primary key, v text)")
	if got := call(t, srv, "GET", "/api/database/tables?schema=probe_s", nil).arr(t); !reflect.DeepEqual(got, []any{"t1"}) {
		t.Errorf("tables = %v", got)
	}
	r := call(t, srv, "GET", "/api/database/tables/t1/schema?schema=probe_s", nil)
	if string(r.body) != `{"schemaName":"probe_s","tableName":"t1","columns":[{"columnName":"id","type":"integer","isNullable":false,"isPrimaryKey":true,"isUnique":true},{"columnName":"v","type":"string","isNullable":true,"isPrimaryKey":false,"isUnique":false}],"foreignKeys":[],"recordCount":0}` {
		t.Errorf("schema = %s", r.body)
	}
	wantError(t, call(t, srv, "GET", "/api/database/tables/t1/schema", nil), 404, "DATABASE_NOT_FOUND", "table not found")
	// create-table in the custom schema; references are resolved in it
	r = call(t, srv, "POST", "/api/database/tables?schema=probe_s", map[string]any{"tableName": "t2",
		"columns":     []any{map[string]any{"columnName": "t1_id", "type": "integer", "isNullable": true, "isUnique": false}},
		"foreignKeys": []any{map[string]any{"referenceTable": "t1", "referenceColumns": []any{map[string]any{"sourceColumn": "t1_id", "referenceColumn": "id"}}, "onDelete": "CASCADE", "onUpdate": "CASCADE"}}})
	if r.status != 201 || !strings.HasPrefix(string(r.body), `{"schemaName":"probe_s","message":"table created successfully","tableName":"t2"`) {
		t.Fatalf("create in probe_s: %d %s", r.status, r.body)
	}
	fk := call(t, srv, "GET", "/api/database/tables/t2/schema?schema=probe_s", nil).obj(t)["foreignKeys"].([]any)[0].(map[string]any)
	if fk["constraintName"] != "fk_t1_id_t1_id" || fk["referenceTable"] != "probe_s.t1" {
		t.Errorf("fk = %v", fk)
	}
	wantError(t, call(t, srv, "POST", "/api/database/tables?schema=nosuch_s", map[string]any{"tableName": "t2",
		"columns": []any{map[string]any{"columnName": "x", "type": "string", "isNullable": true, "isUnique": false}}}), 500, "INTERNAL_ERROR", `schema "nosuch_s" does not exist`)
	// listed as an unprotected schema, after public
	sch := call(t, srv, "GET", "/api/database/schemas", nil).obj(t)["schemas"].([]any)
	if sch[1].(map[string]any)["name"] != "probe_s" || sch[1].(map[string]any)["isProtected"] != false || sch[2].(map[string]any)["isProtected"] != true {
		t.Errorf("schemas = %v", sch)
	}
	// data and catalog views
	mustSQL(t, srv, "INSERT INTO probe_s.t1 VALUES (1, 'one')")
	if got := sqlBody(t, srv, "SELECT table_schema, table_name FROM information_schema.tables WHERE table_schema = 'probe_s' ORDER BY table_name"); got != `{"rows":[{"table_schema":"probe_s","table_name":"t1"},{"table_schema":"probe_s","table_name":"t2"}],"rowCount":2,"fields":[{"name":"table_schema","dataTypeID":25},{"name":"table_name","dataTypeID":25}]}` {
		t.Errorf("information_schema = %s", got)
	}
	wantError(t, sqlQuery(t, srv, "DROP SCHEMA probe_s"), 500, "INTERNAL_ERROR", "cannot drop schema probe_s because other objects depend on it")
	mustSQL(t, srv, "DROP SCHEMA probe_s CASCADE")
	if got := call(t, srv, "GET", "/api/database/tables?schema=probe_s", nil).arr(t); len(got) != 0 {
		t.Errorf("tables after drop = %v", got)
	}
}
