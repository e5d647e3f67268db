//go:build contract

package contract

import (
	"bytes"
	"crypto/rand"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// database: a table's whole life, its records, a bulk load, SQL, the
// catalogue listings and a recorded migration.
func database(t *testing.T, r *run) {
	table := "ct_" + r.sfx
	r.cleanup(t, "delete-table", map[string]any{"tableName": table})
	_, out := r.ok(t, "create-table", map[string]any{"tableName": table, "columns": []any{
		map[string]any{"columnName": "title", "type": "string", "isNullable": false, "isUnique": true},
		map[string]any{"columnName": "n", "type": "integer", "isNullable": true, "isUnique": false, "defaultValue": "0"},
		map[string]any{"columnName": "meta", "type": "json", "isNullable": true, "isUnique": false},
	}})
	want(t, "create-table tableName", str(out, "tableName"), table)
	r.fail(t, "create-table", map[string]any{"tableName": table, "columns": []any{
		map[string]any{"columnName": "x", "type": "string", "isNullable": true, "isUnique": false},
	}}, "alter-table")
	_, list := r.ok(t, "list-tables", nil)
	if !slices.Contains(stringList(list, "tables"), table) {
		t.Errorf("list-tables does not list %s: %v", table, stringList(list, "tables"))
	}
	_, schema := r.ok(t, "get-table-schema", map[string]any{"tableName": table})
	cols := objects(schema, "columns")
	want(t, "id isPrimaryKey", str(find(cols, "columnName", "id"), "isPrimaryKey"), true)
	want(t, "title isUnique", str(find(cols, "columnName", "title"), "isUnique"), true)
	want(t, "n defaultValue", str(find(cols, "columnName", "n"), "defaultValue"), "0")

	records(t, r, table)
	bulk(t, r, table)
	alter(t, r, table)
	sqlAndCatalog(t, r, table)
	migrations(t, r, table)

	text, _ := r.ok(t, "delete-table", map[string]any{"tableName": table})
	wantText(t, "delete-table", text, table)
	_, list = r.ok(t, "list-tables", nil)
	if slices.Contains(stringList(list, "tables"), table) {
		t.Errorf("list-tables still lists %s after delete-table", table)
	}
	r.fail(t, "get-table-schema", map[string]any{"tableName": table}, table)
}

// insertFresh inserts into a table just created; the records API may answer
// 404 for about a second while PostgREST reloads (the tool says so).
func insertFresh(t *testing.T, r *run, args map[string]any) map[string]any {
	t.Helper()
	for i := 0; ; i++ {
		text, data, isError := r.call(t, "insert-records", args)
		if !isError {
			return data
		}
		if i == 5 || !strings.Contains(text, "404") {
			t.Fatalf("insert-records failed: %s", text)
		}
		time.Sleep(time.Second)
	}
}

func records(t *testing.T, r *run, table string) {
	ins := insertFresh(t, r, map[string]any{"table": table, "records": []any{
		map[string]any{"title": "a", "n": 1, "meta": map[string]any{"k": r.sfx}},
		map[string]any{"title": "b", "n": 2, "meta": nil},
	}})
	rows := objects(ins, "rows")
	a, b := find(rows, "title", "a"), find(rows, "title", "b")
	if len(rows) != 2 || a == nil || b == nil || str(a, "id") == "" || str(a, "created_at") == "" {
		t.Fatalf("insert-records returned %v, want rows a and b with id and created_at", rows)
	}
	want(t, "inserted meta.k", str(a, "meta", "k"), r.sfx)

	_, q := r.ok(t, "query-records", map[string]any{"table": table, "filters": map[string]any{"n": "gte.2"}, "order": "title.asc"})
	want(t, "query n>=2 total", str(q, "total"), 1)
	want(t, "query n>=2 id", str(objects(q, "rows")[0], "id"), str(b, "id"))
	_, q = r.ok(t, "query-records", map[string]any{"table": table, "select": "title,n", "order": "n.desc", "limit": 1})
	if got := objects(q, "rows"); len(got) != 1 || str(got[0], "title") != "b" || got[0]["id"] != nil {
		t.Errorf("query-records select=title,n order=n.desc limit=1 = %v, want only b without id", got)
	}
	want(t, "query total", str(q, "total"), 2)

	_, up := r.ok(t, "update-records", map[string]any{"table": table, "filters": map[string]any{"id": "eq." + str(a, "id")}, "values": map[string]any{"n": 10}})
	if got := objects(up, "rows"); len(got) != 1 || str(got[0], "n") != "10" || str(got[0], "id") != str(a, "id") {
		t.Errorf("update-records returned %v, want row a with n 10", got)
	}
	r.fail(t, "update-records", map[string]any{"table": table, "filters": map[string]any{}, "values": map[string]any{"n": 0}}, "allRows")
	r.fail(t, "insert-records", map[string]any{"table": table, "records": []any{map[string]any{"title": "a"}}}, "409")
	_, del := r.ok(t, "delete-records", map[string]any{"table": table, "filters": map[string]any{"title": "eq.b"}})
	if got := objects(del, "rows"); len(got) != 1 || str(got[0], "id") != str(b, "id") {
		t.Errorf("delete-records returned %v, want row b", got)
	}
	r.fail(t, "delete-records", map[string]any{"table": table, "filters": map[string]any{}}, "allRows")
	_, q = r.ok(t, "query-records", map[string]any{"table": table})
	if got := objects(q, "rows"); len(got) != 1 || str(got[0], "title") != "a" || str(got[0], "n") != "10" {
		t.Errorf("after update and delete the table holds %v, want only a with n 10", got)
	}
}

func bulk(t *testing.T, r *run, table string) {
	dir := t.TempDir()
	csvPath := filepath.Join(dir, "rows.csv")
	writeFile(t, csvPath, "title,n\na,99\nc,3\nd,4\n")
	_, out := r.ok(t, "bulk-upsert", map[string]any{"table": table, "filePath": csvPath, "upsertKey": "title"})
	want(t, "bulk-upsert csv rowsAffected", str(out, "rowsAffected"), 3)
	jsonPath := filepath.Join(dir, "rows.json")
	writeFile(t, jsonPath, `[{"title":"e","n":5}]`)
	_, out = r.ok(t, "bulk-upsert", map[string]any{"table": table, "filePath": jsonPath})
	want(t, "bulk-upsert json rowsAffected", str(out, "rowsAffected"), 1)
	r.fail(t, "bulk-upsert", map[string]any{"table": table, "filePath": filepath.Join(dir, "rows.txt")}, ".csv")

	_, q := r.ok(t, "query-records", map[string]any{"table": table, "select": "title,n", "order": "title.asc"})
	var got []string
	for _, row := range objects(q, "rows") {
		got = append(got, str(row, "title")+"="+str(row, "n"))
	}
	want(t, "rows after bulk-upsert", strings.Join(got, " "), "a=99 c=3 d=4 e=5")
	_, q = r.ok(t, "query-records", map[string]any{"table": table, "select": "title", "filters": map[string]any{"title": "in.(a,d,e)"}, "order": "title.asc", "limit": 2, "offset": 1})
	if rows := objects(q, "rows"); len(rows) != 2 || str(rows[0], "title") != "d" || str(rows[1], "title") != "e" || str(q, "total") != "3" {
		t.Errorf("query-records title in (a,d,e) limit 2 offset 1 = %s (total %v), want d, e of 3", toJSON(rows), field(q, "total"))
	}
}

func alter(t *testing.T, r *run, table string) {
	r.ok(t, "alter-table", map[string]any{
		"tableName":     table,
		"addColumns":    []any{map[string]any{"columnName": "owner", "type": "uuid", "isNullable": true, "isUnique": false}},
		"updateColumns": []any{map[string]any{"columnName": "n", "newColumnName": "num"}},
		"dropColumns":   []any{"meta"},
	})
	fk := table + "_owner_fkey"
	r.ok(t, "alter-table", map[string]any{"tableName": table, "addForeignKeys": []any{map[string]any{
		"constraintName":   fk,
		"referenceTable":   "auth.users",
		"referenceColumns": []any{map[string]any{"sourceColumn": "owner", "referenceColumn": "id"}},
		"onDelete":         "SET NULL", "onUpdate": "CASCADE",
	}}})
	_, schema := r.ok(t, "get-table-schema", map[string]any{"tableName": table})
	var names []string
	for _, c := range objects(schema, "columns") {
		names = append(names, str(c, "columnName"))
	}
	if !slices.Contains(names, "num") || !slices.Contains(names, "owner") || slices.Contains(names, "n") || slices.Contains(names, "meta") {
		t.Errorf("columns after alter-table = %v, want num and owner, not n or meta", names)
	}
	fks := objects(schema, "foreignKeys")
	if len(fks) != 1 || str(fks[0], "referenceTable") != "auth.users" {
		t.Fatalf("foreignKeys after adding one to auth.users = %s", toJSON(fks))
	}
	// The backend names the constraint itself: the constraintName we sent
	// (accepted from old callers, no longer advertised) is not it, and
	// dropForeignKeys takes the name get-table-schema reports.
	if got := str(fks[0], "constraintName"); got == "" || got == fk {
		t.Errorf("alter-table addForeignKeys: the backend's constraint name is %q; it was expected to derive its own, not take %q", got, fk)
	}
	// Dropping a constraint that does not exist is refused for that reason,
	// not as a missing table.
	text := r.fail(t, "alter-table", map[string]any{"tableName": table, "dropForeignKeys": []any{"ct_no_such_fkey"}})
	if !strings.Contains(text, "ct_no_such_fkey") || strings.Contains(text, "does not exist in schema") {
		t.Errorf("alter-table dropForeignKeys [ct_no_such_fkey] on the existing table %s: the error should name the missing constraint, it says: %s", table, text)
	}
	r.ok(t, "alter-table", map[string]any{"tableName": table, "dropForeignKeys": []any{str(fks[0], "constraintName")}})
	_, schema = r.ok(t, "get-table-schema", map[string]any{"tableName": table})
	if fks := objects(schema, "foreignKeys"); len(fks) != 0 {
		t.Errorf("foreignKeys after dropping %s = %v, want none", str(fks[0], "constraintName"), fks)
	}
	r.fail(t, "alter-table", map[string]any{"tableName": table}, "at least one operation")
}

func sqlAndCatalog(t *testing.T, r *run, table string) {
	_, res := r.ok(t, "run-raw-sql", map[string]any{"query": "select title, num from public." + table + " where num > $1 order by title", "params": []any{4}})
	var got []string
	for _, row := range objects(res, "rows") {
		got = append(got, str(row, "title")+"="+str(row, "num"))
	}
	want(t, "run-raw-sql rows", strings.Join(got, " "), "a=99 e=5")

	policy, fn := "ct_read_"+r.sfx, "ct_fn_"+r.sfx
	r.ok(t, "run-raw-sql", map[string]any{"query": "create policy " + policy + " on public." + table + " for select to anon using (true)"})
	r.ok(t, "run-raw-sql", map[string]any{"query": "create function public." + fn + "() returns integer language sql as 'select 42'"})
	t.Cleanup(func() { r.sql(t, "drop function if exists public."+fn+"()") })
	_, pol := r.ok(t, "list-policies", nil)
	wantListed(t, "list-policies", pol, "policies", policy)
	_, fns := r.ok(t, "list-db-functions", nil)
	wantListed(t, "list-db-functions", fns, "functions", fn)
	_, idx := r.ok(t, "list-indexes", nil)
	wantListed(t, "list-indexes", idx, "indexes", table+"_pkey", table+"_title_key")
	_, trg := r.ok(t, "list-triggers", nil)
	wantListed(t, "list-triggers", trg, "triggers", table+"_update_timestamp")

	// project_admin may not write InsForge's system schemas; the error points
	// at run-unrestricted-sql, which runs as the owner.
	probe := "system.ct_probe_" + r.sfx
	t.Cleanup(func() { r.sql(t, "drop table if exists "+probe) })
	r.fail(t, "run-raw-sql", map[string]any{"query": "create table " + probe + " (id int)"}, "run-unrestricted-sql")
	_, own := r.ok(t, "run-unrestricted-sql", map[string]any{"query": "select count(*)::int as n from system.secrets where key = $1 and is_active", "params": []any{"API_KEY"}})
	want(t, "run-unrestricted-sql active API_KEY rows", str(objects(own, "rows")[0], "n"), 1)
}

func migrations(t *testing.T, r *run, table string) {
	index := "ct_idx_" + r.sfx
	stmt := "create index " + index + " on public." + table + " (num)"
	_, dry := r.ok(t, "dry-run-migration", map[string]any{"sql": stmt})
	want(t, "dry-run valid", str(dry, "valid"), true)
	_, dry = r.ok(t, "dry-run-migration", map[string]any{"sql": "alter table public." + table + " add column title text"})
	want(t, "dry-run of a duplicate column: valid", str(dry, "valid"), false)
	_, idx := r.ok(t, "list-indexes", nil)
	if find(objects(idx, "indexes"), "indexName", index) != nil {
		t.Errorf("dry-run-migration left index %s behind", index)
	}

	_, ml := r.ok(t, "list-migrations", nil)
	latest := ""
	if m := objects(ml, "migrations"); len(m) > 0 {
		latest = str(m[0], "version")
	}
	version := nextVersion(latest)
	name := "ct-idx-" + r.sfx
	t.Cleanup(func() { r.sql(t, "delete from system.custom_migrations where version = $1", version) })
	r.ok(t, "apply-migration", map[string]any{"version": version, "name": name, "sql": stmt})
	_, ml = r.ok(t, "list-migrations", nil)
	if m := objects(ml, "migrations"); len(m) == 0 || str(m[0], "version") != version || str(m[0], "name") != name {
		t.Errorf("list-migrations does not list %s %s first: %s", version, name, toJSON(m))
	}
	_, idx = r.ok(t, "list-indexes", nil)
	wantListed(t, "list-indexes after apply-migration", idx, "indexes", index)
	r.fail(t, "apply-migration", map[string]any{"version": version, "name": name, "sql": "select 1"}, "list-migrations")
}

// nextVersion is now as yyyymmddhhmmss, or latest+1 when that is not greater.
func nextVersion(latest string) string {
	now := time.Now().UTC().Format("20060102150405")
	l, err := strconv.ParseUint(latest, 10, 64)
	if n, _ := strconv.ParseUint(now, 10, 64); err == nil && l >= n {
		return strconv.FormatUint(l+1, 10)
	}
	return now
}

// advisor: a table without RLS shows up as a critical security issue.
func advisor(t *testing.T, r *run) {
	table := "ct_norls_" + r.sfx
	r.cleanup(t, "delete-table", map[string]any{"tableName": table})
	r.ok(t, "create-table", map[string]any{"tableName": table, "rlsEnabled": false, "columns": []any{
		map[string]any{"columnName": "note", "type": "string", "isNullable": true, "isUnique": false},
	}})
	_, scan := r.ok(t, "start-advisor-scan", nil)
	id := str(scan, "scanId")
	if id == "" {
		t.Fatalf("start-advisor-scan returned no scanId: %v", scan)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		_, latest := r.ok(t, "get-advisor-latest-scan", nil)
		status := str(latest, "status")
		if str(latest, "scanId") == id && status == "completed" {
			break
		}
		if str(latest, "scanId") == id && status == "failed" || time.Now().After(deadline) {
			t.Fatalf("advisor scan %s did not complete: %v", id, latest)
		}
		time.Sleep(2 * time.Second)
	}
	_, issues := r.ok(t, "list-advisor-issues", map[string]any{"category": "security", "limit": 200})
	issue := find(objects(issues, "issues"), "affectedObject", "public."+table)
	if issue == nil || str(issue, "severity") != "critical" {
		t.Errorf("list-advisor-issues has no critical issue for public.%s: %v", table, issue)
	}
	_, crit := r.ok(t, "list-advisor-issues", map[string]any{"severity": "critical"})
	for _, i := range objects(crit, "issues") {
		if str(i, "severity") != "critical" {
			t.Errorf("list-advisor-issues severity=critical returned a %s issue", str(i, "severity"))
		}
	}
	r.ok(t, "delete-table", map[string]any{"tableName": table})
}

// storage: a private bucket, a binary file and a text object up and down,
// links with and without access, deletes.
func storage(t *testing.T, r *run) {
	bucket := "ct-" + r.sfx
	r.cleanup(t, "delete-bucket", map[string]any{"bucketName": bucket})
	r.ok(t, "create-bucket", map[string]any{"bucketName": bucket, "isPublic": false})
	r.fail(t, "create-bucket", map[string]any{"bucketName": bucket}, "already exists")
	_, bl := r.ok(t, "list-buckets", nil)
	want(t, "new bucket public", str(find(objects(bl, "buckets"), "name", bucket), "public"), false)

	dir := t.TempDir()
	blob := make([]byte, 3000)
	_, _ = rand.Read(blob)
	src := filepath.Join(dir, "blob.bin")
	if err := os.WriteFile(src, blob, 0o600); err != nil {
		t.Fatal(err)
	}
	_, up := r.ok(t, "upload-object", map[string]any{"bucket": bucket, "key": "docs/blob.bin", "filePath": src})
	want(t, "uploaded size", str(up, "size"), 3000)
	note := "# contract note " + r.sfx + "\n"
	_, up = r.ok(t, "upload-object", map[string]any{"bucket": bucket, "key": "docs/note.md", "content": note})
	want(t, "uploaded key", str(up, "key"), "docs/note.md")

	_, lo := r.ok(t, "list-objects", map[string]any{"bucket": bucket, "prefix": "docs/"})
	want(t, "list-objects total", str(lo, "pagination", "total"), 2)
	want(t, "listed size of docs/blob.bin", str(find(objects(lo, "objects"), "key", "docs/blob.bin"), "size"), 3000)
	_, lo = r.ok(t, "list-objects", map[string]any{"bucket": bucket, "search": "note"})
	if got := objects(lo, "objects"); len(got) != 1 || str(got[0], "key") != "docs/note.md" {
		t.Errorf("list-objects search=note = %v, want docs/note.md alone", got)
	}

	text, _ := r.ok(t, "download-object", map[string]any{"bucket": bucket, "key": "docs/note.md"})
	wantText(t, "download-object inline", text, note)
	dst := filepath.Join(dir, "out", "blob.bin")
	r.ok(t, "download-object", map[string]any{"bucket": bucket, "key": "docs/blob.bin", "destinationPath": dst})
	if got, err := os.ReadFile(dst); err != nil || !bytes.Equal(got, blob) {
		t.Errorf("downloaded file differs from the uploaded one (%d bytes, %v)", len(got), err)
	}
	r.fail(t, "download-object", map[string]any{"bucket": bucket, "key": "docs/missing.txt"}, "docs/missing.txt")

	_, link := r.ok(t, "get-object-url", map[string]any{"bucket": bucket, "key": "docs/note.md"})
	url := str(link, "url")
	wantText(t, "get-object-url url", url, "/api/storage/buckets/"+bucket+"/objects/")
	if status, _ := httpGet(t, url); status == http.StatusOK {
		t.Errorf("GET %s of a private bucket without a credential answered 200", url)
	}
	r.ok(t, "update-bucket", map[string]any{"bucketName": bucket, "isPublic": true})
	_, bl = r.ok(t, "list-buckets", nil)
	want(t, "bucket public after update-bucket", str(find(objects(bl, "buckets"), "name", bucket), "public"), true)
	if status, body := httpGet(t, url); status != http.StatusOK || body != note {
		t.Errorf("GET %s of a public bucket = %d %q, want 200 and the note", url, status, body)
	}

	_, del := r.ok(t, "delete-objects", map[string]any{"bucket": bucket, "keys": []any{"docs/blob.bin", "docs/none.bin"}})
	res := objects(del, "results")
	want(t, "delete-objects docs/blob.bin", str(find(res, "key", "docs/blob.bin"), "status"), "deleted")
	want(t, "delete-objects docs/none.bin", str(find(res, "key", "docs/none.bin"), "status"), "notFound")
	_, lo = r.ok(t, "list-objects", map[string]any{"bucket": bucket})
	want(t, "objects left", str(lo, "pagination", "total"), 1)

	r.ok(t, "delete-bucket", map[string]any{"bucketName": bucket})
	_, bl = r.ok(t, "list-buckets", nil)
	if find(objects(bl, "buckets"), "name", bucket) != nil {
		t.Errorf("list-buckets still lists %s after delete-bucket", bucket)
	}
	r.fail(t, "list-objects", map[string]any{"bucket": bucket}, bucket)
}

func httpGet(t *testing.T, url string) (int, string) {
	t.Helper()
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Get(url)
	if err != nil {
		t.Errorf("GET %s: %v", url, err)
		return 0, ""
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, string(body)
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// wantListed checks that the list field of data mentions every one of names
// as a value of one of its objects.
func wantListed(t *testing.T, what string, data map[string]any, list string, names ...string) {
	t.Helper()
	items := objects(data, list)
	for _, name := range names {
		if !slices.ContainsFunc(items, func(m map[string]any) bool {
			for _, v := range m {
				if s, ok := v.(string); ok && s == name {
					return true
				}
			}
			return false
		}) {
			t.Errorf("%s does not list %s", what, name)
		}
	}
}
