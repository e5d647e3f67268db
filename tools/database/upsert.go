package database

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"os"
	"path/filepath"
	"strings"

	"github.com/insforge-mcp/insforge-mcp/insforge"
	"github.com/insforge-mcp/insforge-mcp/tools"
)

// Bulk upsert: a local .csv or .json file streamed as a multipart form to
// /api/database/advance/bulk-upsert.

// BulkUpsertInput are the arguments of bulk-upsert (official names).
type BulkUpsertInput struct {
	Table     string `json:"table" jsonschema:"required,minLength=1" jsonschema_description:"Must exist; create-table makes one."`
	FilePath  string `json:"filePath" jsonschema:"required" jsonschema_description:"On the server's machine."`
	UpsertKey string `json:"upsertKey,omitempty" jsonschema_description:"Unique column, e.g. id: matching rows are overwritten."`
	Schema    string `json:"schema,omitempty" jsonschema_description:"Postgres schema."`
}

// BulkUpsert is bulk-upsert.
func BulkUpsert() tools.Tool {
	return tools.Define(tools.Spec{
		Name:        "bulk-upsert",
		Title:       "Load a CSV or JSON file",
		Hints:       tools.Overwrite,
		Description: "Load a .csv (with header) or .json (array of objects) file into a table in one transaction; up to ~50 MB. For a few rows use insert-records.",
	}, bulkUpsert)
}

func bulkUpsert(ctx context.Context, env *tools.Env, in BulkUpsertInput) (*tools.Result, error) {
	if strings.TrimSpace(in.FilePath) == "" {
		return nil, tools.Errorf("filePath is empty: give the absolute path of a .csv or .json file")
	}
	ext := strings.ToLower(filepath.Ext(in.FilePath))
	contentType := map[string]string{".csv": "text/csv", ".json": "application/json"}[ext]
	if contentType == "" {
		return nil, tools.Errorf("bulk-upsert reads only .csv files (with a header row) and .json files (an array of objects), and %q is neither. Convert the data to one of them first; nothing was sent.", filepath.Base(in.FilePath))
	}
	path, info, err := localFile(env, in.FilePath)
	if err != nil {
		return nil, err
	}
	out, err := upload(ctx, env, path, info.Size(), contentType, in)
	if err != nil {
		if insforge.StatusOf(err) == http.StatusRequestEntityTooLarge {
			return nil, tools.Errorf("%s Split the file into smaller ones (the backend's default limit is 50 MB) and load them one by one.", tools.Explain(err))
		}
		return nil, err
	}
	if out == nil {
		out = map[string]any{}
	}
	name := tools.OrPublic(in.Schema) + "." + in.Table
	summary := fmt.Sprintf("Loaded %s (%d bytes) into %s", filepath.Base(path), info.Size(), name)
	if n, ok := out["rowsAffected"].(json.Number); ok {
		summary += fmt.Sprintf(": %s rows affected", n)
		if t, ok := out["totalRecords"].(json.Number); ok {
			summary += fmt.Sprintf(" of %s records in the file", t)
		}
	}
	summary += "."
	if in.UpsertKey != "" {
		summary += fmt.Sprintf(" Rows whose %s already existed were updated.", in.UpsertKey)
	}
	if ok, isBool := out["success"].(bool); isBool && !ok {
		summary = fmt.Sprintf("The backend reported that loading %s into %s did not succeed; its message is below.", filepath.Base(path), name)
	}
	return tools.Found(summary, out), nil
}

// localFile resolves filePath on the server's machine and checks that it
// is a non-empty regular file.
func localFile(env *tools.Env, filePath string) (string, os.FileInfo, error) {
	path, err := tools.LocalPath(env, filePath)
	if err != nil {
		return "", nil, err
	}
	info, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		msg := tools.MissingLocal(env, "file", filePath, path,
			"This server is reached over HTTP and may run on another machine than yours: the file must be on the server's machine", "")
		return "", nil, tools.Errorf("%s. Nothing was sent.", msg)
	case err != nil:
		return "", nil, tools.Errorf("cannot read %s: %v. Nothing was sent.", path, err)
	case !info.Mode().IsRegular():
		return "", nil, tools.Errorf("%s is not a regular file (a directory or device); give the path of a .csv or .json file. Nothing was sent.", path)
	case info.Size() == 0:
		return "", nil, tools.Errorf("%s is empty; nothing was sent.", path)
	}
	return path, info, nil
}

// upload streams the file at path, with in's fields, as one multipart
// form (sent once: the load is not idempotent) and decodes the answer.
func upload(ctx context.Context, env *tools.Env, path string, size int64, contentType string, in BulkUpsertInput) (map[string]any, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, tools.Errorf("cannot open %s: %v. Nothing was sent.", path, err)
	}
	// Stream the file into the multipart body: the writer goroutine copies
	// it into the pipe as the HTTP client reads the other end.
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer f.Close()
		var src io.Reader = f
		if env.Progress != nil {
			src = &progressReader{r: f, total: size, report: env.Progress}
		}
		err := writeUpsertForm(mw, src, filepath.Base(path), contentType, in)
		if err == nil {
			err = mw.Close()
		}
		pw.CloseWithError(err) // nil: the reader sees EOF
	}()
	out, _, err := insforge.Call[map[string]any](ctx, env.Client, insforge.Request{
		Method:      http.MethodPost,
		Path:        "/api/database/advance/bulk-upsert",
		Open:        func() (io.ReadCloser, error) { return io.NopCloser(pr), nil },
		NoRetry:     true,
		ContentType: mw.FormDataContentType(),
	})
	// Unblock the writer if the request ended before reading everything.
	pr.CloseWithError(errors.New("request finished"))
	<-done
	return out, err
}

// writeUpsertForm writes the form fields, then the file part.
func writeUpsertForm(mw *multipart.Writer, f io.Reader, filename, contentType string, in BulkUpsertInput) error {
	fields := [][2]string{{"table", in.Table}}
	if in.Schema != "" {
		fields = append(fields, [2]string{"schema", in.Schema})
	}
	if in.UpsertKey != "" {
		fields = append(fields, [2]string{"upsertKey", in.UpsertKey})
	}
	for _, kv := range fields {
		if err := mw.WriteField(kv[0], kv[1]); err != nil {
			return err
		}
	}
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="file"; filename="%s"`, quoteEscaper.Replace(filename)))
	h.Set("Content-Type", contentType)
	part, err := mw.CreatePart(h)
	if err != nil {
		return err
	}
	_, err = io.Copy(part, f)
	return err
}

// progressReader reports how much of the file has been sent, at most every
// progressStep bytes and once at the end.
type progressReader struct {
	r      io.Reader
	total  int64
	read   int64
	last   int64
	report func(progress, total float64, message string)
}

const progressStep = 1 << 20

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	p.read += int64(n)
	if p.read-p.last >= progressStep || (err == io.EOF && p.read != p.last) {
		p.last = p.read
		p.report(float64(p.read), float64(p.total), fmt.Sprintf("uploaded %d of %d bytes", p.read, p.total))
	}
	return n, err
}

var quoteEscaper = strings.NewReplacer("\\", "\\\\", `"`, "\\\"")
