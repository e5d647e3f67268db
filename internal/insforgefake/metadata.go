package insforgefake

import (
	"maps"
	"net/http"
	"time"
)

// Health and metadata module.

func registerMetadataRoutes(s *Server) {
	s.handle("GET /api/health", accessPublic, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, map[string]any{"status": "ok", "version": Version, "service": "Insforge OSS Backend", "timestamp": jsDate(time.Now())})
	})
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

	s.setMetadataSection("database", s.databaseMetadata)
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

func (s *Server) section(name string) any {
	s.metaMu.Lock()
	fn := s.metaSections[name]
	s.metaMu.Unlock()
	if fn == nil {
		return nil
	}
	return fn()
}

func (s *Server) databaseMetadata() any { return s.pgDatabaseMetadata() }

func (s *Server) metadataSection(name string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, s.section(name)) }
}

func (s *Server) metadata(w http.ResponseWriter, r *http.Request) {
	s.metaMu.Lock()
	sections := maps.Clone(s.metaSections)
	s.metaMu.Unlock()
	md := map[string]any{"version": Version}
	for name, fn := range sections {
		md[name] = fn()
	}
	writeJSON(w, 200, md)
}
