package insforgefake

import (
	"net/http"
	"strings"
)

// Docs module: public SDK documentation.

func registerDocsRoutes(s *Server) {
	s.handle("GET /api/docs", accessPublic, s.listDocs)
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

// docFiles are the files the backend serves for each documentation type
// (its LEGACY_DOCS_MAP and SDK_DOCS_MAP).
var docFiles = map[string]string{
	"instructions":       "../.agents/docs/insforge-instructions-sdk.md",
	"db-sdk":             "sdks/typescript/database.mdx",
	"auth-sdk":           "sdks/typescript/auth.mdx",
	"storage-sdk":        "sdks/typescript/storage.mdx",
	"functions-sdk":      "sdks/typescript/functions.mdx",
	"ai-integration-sdk": "sdks/typescript/ai.mdx",
	"real-time":          "../.agents/docs/real-time.md",
	"deployment":         "../.agents/docs/deployment.md",
	"payments":           "../.agents/docs/payments.md",
}

// featureFile is the file of a feature's documentation in a language.
func featureFile(feature, language string) string {
	dir := map[string]string{"typescript": "typescript", "swift": "swift", "kotlin": "kotlin", "rest-api": "rest"}[language]
	file := feature
	if feature == "db" {
		file = "database"
	}
	return "sdks/" + dir + "/" + file + ".mdx"
}

var docTitles = map[string]string{
	"db": "Database", "storage": "Storage", "functions": "Functions", "auth": "Authentication",
	"ai": "Model Gateway", "realtime": "Realtime", "payments": "Payments",
}

// DocContent is the document the fake serves for a documentation type (as
// in the type field of the answer: "db-sdk", "auth-sdk-swift",
// "storage-rest-api", …). Like the backend's, the .mdx documents start with
// a --- front matter and use MDX components such as <CodeGroup>; the .md
// agent documents are plain markdown.
func DocContent(docType string) string {
	file := docFiles[docType]
	feature, lang := "", "typescript"
	if file == "" {
		for _, f := range DocFeatures {
			for _, l := range DocLanguages {
				if t, ok := featureDocType(f, l); ok && t == docType {
					feature, lang, file = f, l, featureFile(f, l)
				}
			}
		}
	} else if strings.HasSuffix(file, ".mdx") {
		feature = map[string]string{"db": "db", "auth": "auth", "storage": "storage", "functions": "functions", "ai-integration": "ai"}[strings.TrimSuffix(docType, "-sdk")]
	}
	if !strings.HasSuffix(file, ".mdx") {
		return "# InsForge " + docType + " - Agent Documentation\n\nThis is the " + docType +
			" documentation served by the insforgefake fake backend.\n\n## Overview\n\nUse the InsForge MCP tools and SDKs as described below.\n"
	}
	title := docTitles[feature] + " SDK Reference"
	if lang == "rest-api" {
		title = docTitles[feature] + " API Reference"
	}
	install := "npm install @insforge/sdk@latest"
	switch lang {
	case "swift":
		install = `.package(url: "https://github.com/InsForge/insforge-swift.git", from: "1.0.0")`
	case "kotlin":
		install = `implementation("dev.insforge:insforge-kotlin:1.0.0")`
	case "rest-api":
		install = "curl https://your-app.region.insforge.app/api/health"
	}
	return "---\ntitle: " + title + "\ndescription: The " + docType + " documentation served by the insforgefake fake backend.\n---\n\n" +
		"Reference for " + docType + ".\n\n## Installation\n\n<CodeGroup>\n```bash " + lang + "\n" + install + "\n```\n</CodeGroup>\n"
}

// errDocsNotFound is the backend's answer for an unknown document (no
// nextActions).
func errDocsNotFound() *APIError {
	return &APIError{Status: 404, Code: "DOCS_NOT_FOUND", Message: "Documentation not found"}
}

func (s *Server) listDocs(w http.ResponseWriter, r *http.Request) {
	out := []orderedRow{}
	keys := []string{"type", "filename", "endpoint"}
	for _, d := range DocTypes {
		out = append(out, orderedRow{keys: keys, vals: []any{d, docFiles[d], "/api/docs/" + d}})
	}
	for _, f := range DocFeatures {
		for _, l := range DocLanguages {
			if t, ok := featureDocType(f, l); ok {
				out = append(out, orderedRow{keys: keys, vals: []any{t, featureFile(f, l), "/api/docs/" + f + "/" + l}})
			}
		}
	}
	writeJSON(w, 200, out)
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
