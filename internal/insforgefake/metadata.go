package insforgefake

import (
	"net/http"
)

// Metadata module: GET /api/metadata and its sections, and the keys.

func registerMetadataRoutes(s *Server) {
	s.handle("GET /api/metadata", accessAdmin, func(w http.ResponseWriter, r *http.Request) {
		md := map[string]any{"version": Version}
		for name, fn := range s.metaSections {
			md[name] = fn()
		}
		writeJSON(w, 200, md)
	})
	s.handle("GET /api/metadata/{section}", accessAdmin, func(w http.ResponseWriter, r *http.Request) {
		if fn := s.metaSections[r.PathValue("section")]; fn != nil {
			writeJSON(w, 200, fn())
		} else {
			s.notFound(w, r)
		}
	})
	s.handle("GET /api/metadata/anon-key", accessAdmin, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, map[string]any{"anonKey": secretsOf(s).currentKey("ANON_KEY")})
	})
	s.handle("GET /api/metadata/api-key", accessAdmin, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, map[string]any{"apiKey": secretsOf(s).currentKey("API_KEY")})
	})
	s.setMetadataSection("database", func() any { return s.pgDatabaseMetadata() })
}

// setMetadataSection registers the provider of one section of GET
// /api/metadata and of GET /api/metadata/{section}. Modules that own state
// (storage, functions, realtime, …) call it from their registration
// function; the sections are read-only once the server runs.
func (s *Server) setMetadataSection(name string, fn func() any) {
	s.metaSections[name] = fn
}
