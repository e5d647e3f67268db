package insforgefake

import (
	"net/http"
)

// Docs module: public SDK documentation.

func registerDocsRoutes(s *Server) {
	s.handle("GET /api/docs/{docType}", accessPublic, s.getDoc)
	s.handle("GET /api/docs/{feature}/{language}", accessPublic, s.getFeatureDoc)
}

// DocTypes are the legacy documentation types served by GET /api/docs/{docType}.
var DocTypes = []string{"instructions", "db-sdk", "auth-sdk", "storage-sdk", "functions-sdk", "ai-integration-sdk", "real-time", "deployment", "payments"}

// DocFeatures and DocLanguages are served by GET /api/docs/{feature}/{language}
// (payments only in typescript).
var (
	DocFeatures  = []string{"db", "storage", "functions", "auth", "ai", "realtime", "payments"}
	DocLanguages = []string{"typescript", "swift", "kotlin", "rest-api"}
)

// DocContent is the document the fake serves for a documentation type (as
// in the type field of the answer: "db-sdk", "auth-sdk-swift",
// "storage-rest-api", …): front matter and a short markdown body, like the
// backend's .mdx documents.
func DocContent(docType string) string {
	return "---\ntitle: " + docType + "\n---\n\n# " + docType + "\n\nThe " + docType +
		" documentation served by the insforgefake fake backend.\n\n<CodeGroup>\n```bash\nnpm install @insforge/sdk@latest\n```\n</CodeGroup>\n"
}

// errDocsNotFound is the backend's answer for an unknown document (no
// nextActions).
func errDocsNotFound() *APIError {
	return &APIError{Status: 404, Code: "DOCS_NOT_FOUND", Message: "Documentation not found"}
}

func (s *Server) getDoc(w http.ResponseWriter, r *http.Request) {
	dt := r.PathValue("docType")
	if !contains(DocTypes, dt) {
		writeError(w, errDocsNotFound())
		return
	}
	writeJSON(w, 200, orderedRow{keys: []string{"type", "content"}, vals: []any{dt, DocContent(dt)}})
}

// featureDocType names the document of a feature and language.
func featureDocType(feature, language string) (string, bool) {
	if !contains(DocFeatures, feature) || !contains(DocLanguages, language) {
		return "", false
	}
	if feature == "payments" && language != "typescript" {
		return "", false
	}
	if language == "rest-api" {
		return feature + "-rest-api", true
	}
	return feature + "-sdk-" + language, true
}

func (s *Server) getFeatureDoc(w http.ResponseWriter, r *http.Request) {
	t, ok := featureDocType(r.PathValue("feature"), r.PathValue("language"))
	if !ok {
		writeError(w, errDocsNotFound())
		return
	}
	writeJSON(w, 200, orderedRow{keys: []string{"type", "content"}, vals: []any{t, DocContent(t)}})
}
