package insforgefake

import (
	"bytes"
	"cmp"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"path"
	"strings"
)

// Bulk upsert module: POST /api/database/advance/bulk-upsert. The tool
// checks the file type, table name and size before sending.

func registerBulkRoutes(s *Server) {
	s.handle("POST /api/database/advance/bulk-upsert", accessAdmin, s.bulkUpsert)
}

func (s *Server) bulkUpsert(w http.ResponseWriter, r *http.Request) {
	f, fh, err := r.FormFile("file")
	if err != nil {
		writeError(w, errInvalidInput("File is required"))
		return
	}
	// Sized at once: growing a multi-megabyte buffer step by step is slow
	// under the race detector.
	buf := bytes.NewBuffer(make([]byte, 0, fh.Size+bytes.MinRead))
	_, _ = buf.ReadFrom(f)
	data := buf.Bytes()
	_ = f.Close()
	tableName := r.FormValue("table")
	var records []any
	switch strings.ToLower(path.Ext(fh.Filename)) {
	case ".json":
		err = json.Unmarshal(data, &records)
	case ".csv":
		records, err = parseCSVRecords(data)
	default:
		err = errors.New("Unsupported file type. Use .csv or .json")
	}
	if err == nil && len(records) == 0 {
		err = errors.New("No records found in file")
	}
	if err != nil {
		writeError(w, errInvalidInput(err.Error()))
		return
	}
	affected, perr := s.pgBulkInsert(r, cmp.Or(r.FormValue("schema"), "public"), tableName, records, r.FormValue("upsertKey"))
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
	rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")))).ReadAll()
	if err != nil || len(rows) == 0 {
		return nil, err
	}
	var out []any
	for _, rec := range rows[1:] {
		m := map[string]any{}
		for i, h := range rows[0] {
			m[h] = rec[i]
		}
		out = append(out, m)
	}
	return out, nil
}
