package insforgefake

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// Bulk upsert module: POST /api/database/advance/bulk-upsert.

func registerBulkRoutes(s *Server) {
	s.handle("POST /api/database/advance/bulk-upsert", accessAdmin, s.bulkUpsert)
}

// maxUploadSize is multer's MAX_FILE_SIZE default (50 MB).
const maxUploadSize = 50 << 20

func (s *Server) bulkUpsert(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseMultipartForm(maxUploadSize); err != nil && !errors.Is(err, http.ErrNotMultipart) {
		writeError(w, errInvalidInput("Invalid multipart body: "+err.Error()))
		return
	}
	if r.MultipartForm == nil || len(r.MultipartForm.File["file"]) == 0 {
		writeError(w, errInvalidInput("File is required"))
		return
	}
	tableName, upsertKey, schema := r.FormValue("table"), r.FormValue("upsertKey"), r.FormValue("schema")
	if tableName == "" {
		writeError(w, errInvalidInput("table: Table name is required"))
		return
	}
	if schema == "" {
		schema = "public"
	}
	if err := checkIdent("schema", schema); err != nil {
		writeError(w, err)
		return
	}
	if err := checkIdent("table", tableName); err != nil {
		writeError(w, err)
		return
	}
	fh := r.MultipartForm.File["file"][0]
	if fh.Size > maxUploadSize {
		writeError(w, &APIError{Status: 413, Code: "STORAGE_INVALID_PARAMETER", Message: "File too large"})
		return
	}
	f, err := fh.Open()
	if err != nil {
		writeError(w, errInternal(err.Error()))
		return
	}
	data, err := io.ReadAll(f)
	_ = f.Close()
	if err != nil {
		writeError(w, errInternal(err.Error()))
		return
	}
	ext := ""
	if i := strings.LastIndexByte(fh.Filename, '.'); i >= 0 {
		ext = strings.ToLower(fh.Filename[i:])
	}
	var records []any
	switch ext {
	case ".csv":
		records, err = parseCSVRecords(data)
	case ".json":
		records, err = parseJSONRecords(data)
	default:
		writeError(w, errInvalidInput("Unsupported file type. Use .csv or .json"))
		return
	}
	if err != nil {
		writeError(w, errInvalidInput(fmt.Sprintf("Failed to parse %s file: %v", ext, err)))
		return
	}
	if len(records) == 0 {
		writeError(w, errInvalidInput("No records found in file"))
		return
	}

	affected, perr := s.pgBulkInsert(r, schema, tableName, records, upsertKey)
	if perr != nil {
		// The backend reports every failure of the insert itself as 400.
		writeError(w, errInvalidInput(perr.Message))
		return
	}
	writeJSON(w, 200, orderedRow{
		keys: []string{"success", "message", "table", "rowsAffected", "totalRecords", "filename"},
		vals: []any{true, fmt.Sprintf("Successfully inserted %d rows into %s", affected, tableName), tableName, affected, len(records), fh.Filename},
	})
}

// parseCSVRecords parses CSV like csv-parse with columns: true,
// skip_empty_lines and bom: the first record names the columns.
func parseCSVRecords(data []byte) ([]any, error) {
	rd := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))))
	rd.FieldsPerRecord = -1
	var header []string
	var out []any
	for {
		rec, err := rd.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		if header == nil {
			header = rec
			continue
		}
		if len(rec) != len(header) {
			line, _ := rd.FieldPos(0)
			return nil, fmt.Errorf("Invalid Record Length: columns length is %d, got %d on line %d", len(header), len(rec), line)
		}
		m := map[string]any{}
		for i, h := range header {
			m[h] = rec[i]
		}
		out = append(out, m)
	}
	return out, nil
}

func parseJSONRecords(data []byte) ([]any, error) {
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		return nil, err
	}
	if arr, ok := v.([]any); ok {
		return arr, nil
	}
	return []any{v}, nil
}
