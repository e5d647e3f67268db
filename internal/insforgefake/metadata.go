package insforgefake

import (
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Health and metadata module.

func registerMetadataRoutes(s *Server) {
	s.handle("GET /api/health", accessPublic, s.health)
	s.handle("GET /api/metadata", accessAdmin, s.metadata)
	s.handle("GET /api/metadata/auth", accessAdmin, s.metadataSection("auth"))
	s.handle("GET /api/metadata/database", accessAdmin, s.metadataSection("database"))
	s.handle("GET /api/metadata/storage", accessAdmin, s.metadataSection("storage"))
	s.handle("GET /api/metadata/functions", accessAdmin, s.metadataSection("functions"))
	s.handle("GET /api/metadata/realtime", accessAdmin, s.metadataSection("realtime"))
	s.handle("GET /api/metadata/api-key", accessAdmin, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, map[string]any{"apiKey": secretsOf(s).currentKey("API_KEY")})
	})
	s.handle("GET /api/metadata/anon-key", accessAdmin, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, map[string]any{"anonKey": secretsOf(s).currentKey("ANON_KEY")})
	})
	s.handle("GET /api/metadata/project-id", accessAdmin, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, map[string]any{"projectId": nil})
	})
	cloudOnly := func(w http.ResponseWriter, r *http.Request) {
		writeError(w, errInternal("This endpoint is only available on InsForge Cloud"))
	}
	s.handle("GET /api/metadata/database-connection-string", accessAdmin, cloudOnly)
	s.handle("GET /api/metadata/database-password", accessAdmin, cloudOnly)
	s.handle("GET /api/metadata/{tableName}", accessAdmin, s.metadataTable)

	// Defaults for the sections of modules that may not be present; a
	// module registered before this one keeps its own provider.
	s.defaultMetadataSection("auth", defaultAuthMetadata)
	s.setMetadataSection("database", s.databaseMetadata)
	s.defaultMetadataSection("storage", func() any { return map[string]any{"buckets": []any{}, "totalSizeInGB": 0} })
	s.defaultMetadataSection("functions", func() any { return []any{} })
	s.defaultMetadataSection("realtime", func() any {
		return map[string]any{"channels": []any{}, "permissions": map[string]any{
			"subscribe": map[string]any{"policies": []any{}},
			"publish":   map[string]any{"policies": []any{}},
		}}
	})
}

// setMetadataSection registers (or replaces) the provider of one section of
// GET /api/metadata and of GET /api/metadata/{section}. Modules that own
// state (storage, functions, realtime, …) call it from their registration
// function.
func (s *Server) setMetadataSection(name string, fn func() any) {
	s.metaMu.Lock()
	s.metaSections[name] = fn
	s.metaMu.Unlock()
}

// defaultMetadataSection sets a section's provider unless one is set.
func (s *Server) defaultMetadataSection(name string, fn func() any) {
	s.metaMu.Lock()
	if _, ok := s.metaSections[name]; !ok {
		s.metaSections[name] = fn
	}
	s.metaMu.Unlock()
}

func (s *Server) section(name string) any {
	s.metaMu.Lock()
	fn := s.metaSections[name]
	s.metaMu.Unlock()
	if fn == nil {
		return nil
	}
	return fn()
}

func (s *Server) health(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, 200, map[string]any{
		"status":    "ok",
		"version":   Version,
		"service":   "Insforge OSS Backend",
		"timestamp": time.Now().UTC().Format("2006-01-02T15:04:05.000Z"),
	})
}

func defaultAuthMetadata() any {
	return map[string]any{
		"oAuthProviders":       []any{},
		"customOAuthProviders": []any{},
		"smtpConfig": map[string]any{
			"enabled": false, "host": "", "port": 465, "username": "", "hasPassword": false,
			"senderEmail": "", "senderName": "", "minIntervalSeconds": 60,
		},
		"requireEmailVerification": false,
		"passwordMinLength":        6,
		"requireNumber":            false,
		"requireLowercase":         false,
		"requireUppercase":         false,
		"requireSpecialChar":       false,
		"verifyEmailMethod":        "code",
		"resetPasswordMethod":      "code",
		"allowedRedirectUrls":      []any{},
		"disableSignup":            false,
	}
}

func (s *Server) databaseMetadata() any { return s.pgDatabaseMetadata() }

func (s *Server) metadataSection(name string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, s.section(name)) }
}

func (s *Server) metadata(w http.ResponseWriter, r *http.Request) {
	format := "json"
	if vals, ok := r.URL.Query()["format"]; ok {
		format = vals[0]
		if len(vals) != 1 || (format != "json" && format != "markdown") {
			writeError(w, errInvalidInput("Invalid format parameter"))
			return
		}
	}
	s.metaMu.Lock()
	sections := make(map[string]func() any, len(s.metaSections))
	for name, fn := range s.metaSections {
		sections[name] = fn
	}
	s.metaMu.Unlock()
	md := map[string]any{"version": Version}
	for name, fn := range sections {
		md[name] = fn()
	}
	if format == "markdown" {
		w.Header().Set("Content-Type", "text/markdown; charset=utf-8")
		w.WriteHeader(200)
		_, _ = w.Write([]byte(metadataMarkdown(md)))
		return
	}
	writeJSON(w, 200, md)
}

func metadataMarkdown(md map[string]any) string {
	var b strings.Builder
	b.WriteString("# InsForge Backend Metadata\n\n")
	fmt.Fprintf(&b, "Version: %v\n\n## Database\n\n", md["version"])
	if db, ok := md["database"].(map[string]any); ok {
		tables, _ := db["tables"].([]map[string]any)
		if len(tables) == 0 {
			b.WriteString("No tables.\n")
		} else {
			b.WriteString("| Table | Records |\n|---|---|\n")
			for _, t := range tables {
				fmt.Fprintf(&b, "| %v | %v |\n", t["tableName"], t["recordCount"])
			}
		}
		fmt.Fprintf(&b, "\nTotal size: %.4f GB\n", db["totalSizeInGB"])
	}
	b.WriteString("\n## Storage\n\n")
	if st, ok := md["storage"].(map[string]any); ok {
		fmt.Fprintf(&b, "Buckets: %d\n", lenOf(st["buckets"]))
	}
	fmt.Fprintf(&b, "\n## Functions\n\nFunctions: %d\n", lenOf(md["functions"]))
	b.WriteString("\n## Auth\n\n")
	if a, ok := md["auth"].(map[string]any); ok {
		fmt.Fprintf(&b, "OAuth providers: %d\n", lenOf(a["oAuthProviders"]))
	}
	return b.String()
}

func lenOf(v any) int {
	switch x := v.(type) {
	case []any:
		return len(x)
	case []map[string]any:
		return len(x)
	}
	return 0
}

// metadataTable answers GET /api/metadata/{tableName}: the export-style
// schema of a public table (backend exportDatabase, json format, without
// data); an unknown name gives 200 with an empty description.
func (s *Server) metadataTable(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("tableName")
	writeJSON(w, 200, map[string]any{name: s.pgExportTable(name)})
}
