package insforgetest

// The InsForge system schemas as the fake models them. Every schema of
// protectedSchemas exists; a few tables that agents commonly touch are
// modelled with their real columns (auth.users, storage.objects, …), the
// others exist only as names. Their contents are independent of the other
// modules of the fake: the users of the auth module are not rows of
// auth.users, the files of the storage module are not rows of
// storage.objects.
//
// Privileges follow the backend's migrations for the project_admin role
// (the /rawsql endpoint and the table API): SELECT on every table of the
// internal schemas, INSERT/UPDATE/DELETE only where granted (auth.users,
// auth.oauth_configs, …), no CREATE in those schemas and no ownership of
// their tables. The /rawsql/unrestricted endpoint runs as postgres and may
// do anything.

import "strings"

// sysCol is a compact column spec for system tables.
func sysCol(name, typ string, nullable bool, def string) Column {
	c := Column{Name: name, Nullable: nullable, Default: def}.withType(typ, true)
	return c
}

func sysPK(name, typ, def string) Column {
	c := sysCol(name, typ, false, def)
	c.PrimaryKey, c.Unique = true, true
	return c
}

func sysUnique(c Column) Column { c.Unique = true; return c }

func sysTimestamps() []Column {
	return []Column{
		sysCol("created_at", "timestamptz", true, "now()"),
		sysCol("updated_at", "timestamptz", true, "now()"),
	}
}

// seedSystemSchemas creates the InsForge system schemas. d.mu held (or d
// not shared yet).
func (d *database) seedSystemSchemas() {
	for _, name := range protectedSchemas {
		d.schemas[name] = &schemaInfo{name: name, system: true, tables: map[string]*table{}}
	}
	add := func(schema, name string, grants []string, trigger bool, cols ...Column) *table {
		t := &table{name: name, schema: schema, columns: cols, system: true, rls: false}
		if len(grants) > 0 {
			t.grants = map[string]bool{}
			for _, g := range grants {
				t.grants[g] = true
			}
		}
		if trigger {
			t.updTrigger = true
			t.trigName = "update_" + name + "_updated_at"
		}
		d.schemas[schema].tables[name] = t
		return t
	}
	iud := []string{"insert", "update", "delete"}
	index := func(t *table, name string, unique bool, cols ...string) {
		def := "CREATE INDEX "
		if unique {
			def = "CREATE UNIQUE INDEX "
		}
		def += name + " ON " + t.schema + "." + t.name + " USING btree (" + strings.Join(cols, ", ") + ")"
		t.extraIdx = append(t.extraIdx, indexInfo{table: t.name, name: name, unique: unique, cols: cols, def: def})
	}

	// auth
	users := add("auth", "users", []string{"insert", "update", "delete", "trigger", "references"}, false,
		sysPK("id", "uuid", "gen_random_uuid()"),
		sysUnique(sysCol("email", "text", false, "")),
		sysCol("password", "text", true, ""),
		sysCol("email_verified", "boolean", true, "false"),
		sysCol("created_at", "timestamptz", true, "now()"),
		sysCol("updated_at", "timestamptz", true, "now()"),
		sysCol("profile", "jsonb", true, "{}"),
		sysCol("metadata", "jsonb", true, "{}"),
		sysCol("is_project_admin", "boolean", false, "false"),
		sysCol("is_anonymous", "boolean", false, "false"),
	)
	users.pkName = "_user_pkey"
	users.setUniqueName("email", "_user_email_key")
	index(users, "idx_users_lower_email", false, "lower(email)")
	cfg := add("auth", "config", nil, true, append([]Column{
		sysPK("id", "uuid", "gen_random_uuid()"),
		sysCol("require_email_verification", "boolean", false, "false"),
		sysCol("password_min_length", "integer", false, "6"),
		sysCol("disable_signup", "boolean", false, "false"),
	}, sysTimestamps()...)...)
	cfg.pkName = "_auth_configs_pkey"
	index(cfg, "idx_auth_configs_singleton", true, "(1)")
	add("auth", "custom_oauth_configs", []string{"insert", "update", "delete"}, true, append([]Column{
		sysPK("id", "uuid", "gen_random_uuid()"),
		sysUnique(sysCol("key", "text", false, "")),
		sysCol("name", "text", false, ""),
		sysCol("discovery_endpoint", "text", false, ""),
		sysCol("client_id", "text", false, ""),
	}, sysTimestamps()...)...)
	otps := add("auth", "email_otps", iud, true, append([]Column{
		sysPK("id", "uuid", "gen_random_uuid()"),
		sysCol("email", "text", false, ""),
		sysCol("purpose", "text", false, ""),
		sysCol("otp_hash", "text", false, ""),
		sysCol("expires_at", "timestamptz", false, ""),
		sysCol("consumed_at", "timestamptz", true, ""),
	}, sysTimestamps()...)...)
	otps.pkName = "_email_otps_pkey"
	index(otps, "_email_otps_email_purpose_key", true, "email", "purpose")
	index(otps, "idx_email_otps_email_purpose", false, "email", "purpose")
	index(otps, "idx_email_otps_expires_at", false, "expires_at")
	index(otps, "idx_email_otps_otp_hash", false, "otp_hash")
	oauth := add("auth", "oauth_configs", iud, true, append([]Column{
		sysPK("id", "uuid", "gen_random_uuid()"),
		sysUnique(sysCol("provider", "text", false, "")),
		sysCol("client_id", "text", true, ""),
		sysCol("redirect_uri", "text", true, ""),
		sysCol("use_shared_key", "boolean", false, "false"),
	}, sysTimestamps()...)...)
	oauth.pkName = "_oauth_configs_pkey"
	oauth.setUniqueName("provider", "_oauth_configs_provider_key")
	index(oauth, "idx_oauth_configs_provider", false, "provider")
	up := add("auth", "user_providers", iud, false, append([]Column{
		sysPK("id", "uuid", "gen_random_uuid()"),
		sysCol("user_id", "uuid", false, ""),
		sysCol("provider", "text", false, ""),
		sysCol("provider_account_id", "text", false, ""),
		sysCol("access_token", "text", true, ""),
		sysCol("refresh_token", "text", true, ""),
		sysCol("provider_data", "jsonb", true, ""),
	}, sysTimestamps()...)...)
	up.pkName = "_account_pkey"
	index(up, "_account_provider_provider_account_id_key", true, "provider", "provider_account_id")
	up.fks = []foreignKey{{Name: "user_providers_user_id_fkey", RefTable: "auth.users", SourceCols: []string{"user_id"}, RefCols: []string{"id"}, OnDelete: "CASCADE", OnUpdate: "NO ACTION"}}

	// storage
	add("storage", "buckets", nil, false,
		sysPK("name", "text", ""),
		sysCol("public", "boolean", true, "true"),
		sysCol("created_at", "timestamptz", true, "now()"),
		sysCol("updated_at", "timestamptz", true, "now()"),
	)
	objects := add("storage", "objects", []string{"references"}, false,
		sysCol("bucket", "text", false, ""),
		sysCol("key", "text", false, ""),
		sysCol("size", "integer", false, ""),
		sysCol("mime_type", "text", true, ""),
		sysCol("uploaded_at", "timestamptz", true, "now()"),
		sysCol("uploaded_by", "text", true, ""),
		sysCol("uploaded_via", "text", true, ""),
		sysCol("s3_access_key_id", "text", true, ""),
		sysCol("etag", "text", true, ""),
	)
	for i := range objects.columns[:2] {
		objects.columns[i].PrimaryKey, objects.columns[i].Unique = true, true
	}
	objects.pkName = "_storage_pkey"
	objects.fks = []foreignKey{{Name: "_storage_bucket_fkey", RefTable: "storage.buckets", SourceCols: []string{"bucket"}, RefCols: []string{"name"}, OnDelete: "CASCADE", OnUpdate: "NO ACTION"}}

	// system
	secrets := add("system", "secrets", nil, true, append([]Column{
		sysPK("id", "uuid", "gen_random_uuid()"),
		sysUnique(sysCol("key", "text", false, "")),
		sysCol("value_ciphertext", "text", false, ""),
		sysCol("is_active", "boolean", true, "true"),
		sysCol("is_reserved", "boolean", true, "false"),
		sysCol("last_used_at", "timestamptz", true, ""),
		sysCol("expires_at", "timestamptz", true, ""),
	}, sysTimestamps()...)...)
	secrets.pkName = "_secrets_pkey"
	add("system", "custom_migrations", nil, false,
		sysPK("version", "text", ""),
		sysCol("name", "text", false, ""),
		sysCol("statements", "text[]", false, ""),
		sysCol("created_at", "timestamptz", false, "now()"),
	)

	// realtime
	add("realtime", "channels", iud, true, append([]Column{
		sysPK("id", "uuid", "gen_random_uuid()"),
		sysUnique(sysCol("pattern", "text", false, "")),
		sysCol("description", "text", true, ""),
		sysCol("webhook_urls", "text[]", true, ""),
		sysCol("enabled", "boolean", false, "true"),
	}, sysTimestamps()...)...)
	add("realtime", "messages", []string{"insert"}, false,
		sysPK("id", "uuid", "gen_random_uuid()"),
		sysCol("event_name", "text", false, ""),
		sysCol("channel_id", "uuid", true, ""),
		sysCol("channel_name", "text", false, ""),
		sysCol("payload", "jsonb", false, "{}"),
		sysCol("sender_type", "text", false, "system"),
		sysCol("sender_id", "uuid", true, ""),
		sysCol("ws_audience_count", "integer", false, "0"),
		sysCol("wh_audience_count", "integer", false, "0"),
		sysCol("wh_delivered_count", "integer", false, "0"),
		sysCol("created_at", "timestamptz", false, "now()"),
	)

	// functions of the auth schema (pg_get_functiondef output)
	for _, f := range []struct{ name, ret, body string }{
		{"email", "text", "  SELECT nullif(auth.jwt() ->> 'email', '')::text"},
		{"jwt", "jsonb", "  SELECT nullif(current_setting('request.jwt.claims', true), '')::jsonb"},
		{"role", "text", "  SELECT nullif(auth.jwt() ->> 'role', '')::text"},
		{"uid", "uuid", "  SELECT nullif(auth.jwt() ->> 'sub', '')::uuid"},
	} {
		d.functions = append(d.functions, dbFunction{schema: "auth", name: f.name, kind: "f",
			def: "CREATE OR REPLACE FUNCTION auth." + f.name + "()\n RETURNS " + f.ret + "\n LANGUAGE sql\n STABLE\nAS $function$\n" + f.body + "\n$function$\n"})
	}
	d.functions = append(d.functions, dbFunction{schema: "system", name: "update_updated_at", kind: "f",
		def: "CREATE OR REPLACE FUNCTION system.update_updated_at()\n RETURNS trigger\n LANGUAGE plpgsql\nAS $function$\nBEGIN\n  NEW.updated_at = NOW();\n  RETURN NEW;\nEND;\n$function$\n"})
}

// privilege checks for the project_admin role (x.user); postgres may do
// anything.

// canWrite checks INSERT/UPDATE/DELETE/TRUNCATE/TRIGGER privileges.
func (x *execCtx) canWrite(t *table, priv string) *pgError {
	if x.user == "postgres" || !t.system || t.grants[priv] {
		return nil
	}
	return &pgError{Code: "42501", Message: "permission denied for table " + t.name}
}

// isOwner checks ownership (ALTER, DROP, CREATE INDEX, CREATE POLICY, …).
func (x *execCtx) isOwner(t *table) *pgError {
	if x.user == "postgres" || !t.system {
		return nil
	}
	return &pgError{Code: "42501", Message: "must be owner of table " + t.name}
}

// canCreateIn checks CREATE on a schema.
func (x *execCtx) canCreateIn(schema string) *pgError {
	if schema == "" || schema == "public" {
		return nil
	}
	si, ok := x.d.schemas[schema]
	if !ok {
		if schema == "information_schema" || schema == "pg_catalog" {
			return &pgError{Code: "42501", Message: "permission denied for schema " + schema}
		}
		return &pgError{Code: "3F000", Message: "schema \"" + schema + "\" does not exist"}
	}
	if si.system && x.user != "postgres" {
		return &pgError{Code: "42501", Message: "permission denied for schema " + schema}
	}
	return nil
}

// formatType renders a type like Postgres format_type ("integer",
// "timestamp with time zone", "text[]").
func formatType(raw string) string {
	l := strings.ToLower(strings.Join(strings.Fields(raw), " "))
	switch {
	case strings.HasPrefix(l, "setof "):
		return "SETOF " + formatType(l[6:])
	case l == "trigger", l == "void", l == "record", l == "event_trigger":
		return l
	}
	pg := pgTypeOfSQL(raw)
	if e, ok := strings.CutSuffix(pg, "[]"); ok {
		if d, ok := pgDataTypes[e]; ok {
			return d + "[]"
		}
		return pg
	}
	if d, ok := pgDataTypes[pg]; ok {
		return d
	}
	return pg
}

// functionDef renders CREATE FUNCTION text like pg_get_functiondef (best
// effort; the text as written when it cannot be analysed).
func functionDef(schema, text string) (def string) {
	defer func() {
		if r := recover(); r != nil {
			def = text
		}
	}()
	toks, err := lex(text)
	if err != nil {
		return text
	}
	p := &parser{toks: toks, src: text}
	p.expectKw("create")
	p.acceptKw("or", "replace")
	kind := "FUNCTION"
	if p.acceptKw("procedure") {
		kind = "PROCEDURE"
	} else {
		p.expectKw("function")
	}
	ref := p.tableName()
	p.expectOp("(")
	from := p.pos
	depth := 1
	for depth > 0 {
		t := p.next()
		if t.isOp("(") {
			depth++
		} else if t.isOp(")") {
			depth--
		}
	}
	argText := ""
	if p.pos-1 > from {
		argText = strings.TrimSpace(text[p.toks[from].start:p.toks[p.pos-2].end])
	}
	var args []string
	for _, a := range splitTop(argText) {
		a = strings.TrimSpace(a)
		if a == "" {
			continue
		}
		words := strings.Fields(a)
		var mode, name, def string
		if i := strings.Index(strings.ToLower(a), " default "); i >= 0 {
			def = " DEFAULT " + strings.TrimSpace(a[i+9:])
			words = strings.Fields(a[:i])
		} else if i := strings.Index(a, "="); i >= 0 {
			def = " DEFAULT " + strings.TrimSpace(a[i+1:])
			words = strings.Fields(a[:i])
		}
		switch strings.ToLower(words[0]) {
		case "in", "out", "inout", "variadic":
			if !strings.EqualFold(words[0], "in") {
				mode = strings.ToUpper(words[0]) + " "
			}
			words = words[1:]
		}
		typ := strings.Join(words, " ")
		if len(words) > 1 {
			if _, known := pgOIDs[pgTypeOfSQL(typ)]; !known {
				name, typ = words[0]+" ", strings.Join(words[1:], " ")
			}
		}
		args = append(args, mode+name+formatType(typ)+def)
	}
	var returns, lang, volatility, strict, security, body string
	for !p.eof() {
		switch {
		case p.acceptKw("returns"):
			if p.acceptKw("table") {
				f := p.pos
				p.skipBalanced()
				returns = "TABLE" + p.textFrom(f)
			} else {
				setof := p.acceptKw("setof")
				returns = formatType(p.typeName())
				if setof {
					returns = "SETOF " + returns
				}
			}
		case p.acceptKw("language"):
			lang = strings.ToLower(p.next().val)
		case p.acceptKw("immutable"):
			volatility = " IMMUTABLE\n"
		case p.acceptKw("stable"):
			volatility = " STABLE\n"
		case p.acceptKw("volatile"):
		case p.acceptKw("strict"), p.acceptKw("returns", "null", "on", "null", "input"):
			strict = " STRICT\n"
		case p.acceptKw("called", "on", "null", "input"):
		case p.acceptKw("security", "definer"):
			security = " SECURITY DEFINER\n"
		case p.acceptKw("security", "invoker"):
		case p.acceptKw("as"):
			body = p.next().val
			if p.acceptOp(",") {
				p.next()
			}
		default:
			p.next()
		}
	}
	if schema == "" {
		schema = "public"
	}
	tag := "$function$"
	if kind == "PROCEDURE" {
		tag = "$procedure$"
	}
	var b strings.Builder
	b.WriteString("CREATE OR REPLACE " + kind + " " + schema + "." + ref.name + "(" + strings.Join(args, ", ") + ")\n")
	if kind == "FUNCTION" {
		b.WriteString(" RETURNS " + returns + "\n")
	}
	b.WriteString(" LANGUAGE " + lang + "\n")
	b.WriteString(volatility + strict + security)
	b.WriteString("AS " + tag + body + tag + "\n")
	return b.String()
}
