package insforgefake

import (
	"net/http"
)

// Docs module: public SDK documentation. Every document is front matter
// and a short markdown body, like the backend's .mdx documents.

var (
	docTypes     = []string{"instructions", "db-sdk", "auth-sdk", "storage-sdk", "functions-sdk", "ai-integration-sdk", "real-time", "deployment", "payments"}
	docFeatures  = []string{"db", "storage", "functions", "auth", "ai", "realtime"}
	docLanguages = []string{"typescript", "swift", "kotlin", "rest-api"}
)

func registerDocsRoutes(s *Server) {
	s.handle("GET /api/docs/{docType}", accessPublic, func(w http.ResponseWriter, r *http.Request) {
		writeDoc(w, r.PathValue("docType"), contains(docTypes, r.PathValue("docType")))
	})
	s.handle("GET /api/docs/{feature}/{language}", accessPublic, func(w http.ResponseWriter, r *http.Request) {
		f, l := r.PathValue("feature"), r.PathValue("language")
		docType := f + "-sdk-" + l
		if l == "rest-api" {
			docType = f + "-rest-api"
		}
		writeDoc(w, docType, contains(docFeatures, f) && contains(docLanguages, l))
	})
}

// writeDoc answers the document docType, or the backend's 404 (no
// nextActions) when it does not exist.
func writeDoc(w http.ResponseWriter, docType string, exists bool) {
	if !exists {
		writeError(w, &APIError{Status: 404, Code: "DOCS_NOT_FOUND", Message: "Documentation not found"})
		return
	}
	content := "---\ntitle: " + docType + "\n---\n\n# " + docType + "\n\nThe " + docType +
		" documentation served by the insforgefake fake backend.\n\n<CodeGroup>\n```bash\nnpm install @insforge/sdk@latest\n```\n</CodeGroup>\n"
	writeJSON(w, 200, orderedRow{keys: []string{"type", "content"}, vals: []any{docType, content}})
}
