package rules

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// root is the repository root, from this package's directory.
const root = "../.."

// goFiles parses every Go file of the repository, tests included when
// withTests is set, and calls fn with its path relative to the root.
func goFiles(t *testing.T, withTests bool, fn func(rel string, fset *token.FileSet, f *ast.File)) {
	t.Helper()
	n := 0
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case ".git", "node_modules", "testdata":
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(p, ".go") || (!withTests && strings.HasSuffix(p, "_test.go")) {
			return nil
		}
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, p, nil, parser.ParseComments)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		fn(filepath.ToSlash(rel), fset, f)
		n++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 50 {
		t.Fatalf("found only %d Go files under %s: is the walk looking in the right place?", n, root)
	}
}

// Tool logic stays plain Go: only the server wiring (mcpserver), the
// test client (internal/testmcp) and the benchmark's bare mcp-go floor
// (bench/internal/floor, which is mcp-go and nothing else) may import mcp-go.
func TestOnlyMCPServerImportsMCPGo(t *testing.T) {
	goFiles(t, false, func(rel string, _ *token.FileSet, f *ast.File) {
		if strings.HasPrefix(rel, "mcpserver/") || strings.HasPrefix(rel, "internal/testmcp/") || strings.HasPrefix(rel, "bench/internal/floor/") {
			return
		}
		for _, imp := range f.Imports {
			if path, _ := strconv.Unquote(imp.Path.Value); strings.HasPrefix(path, "github.com/mark3labs/mcp-go") {
				t.Errorf("%s imports %s: only mcpserver may", rel, path)
			}
		}
	})
}

// Every package whose code names a go-redis type compiles that module's
// generic instantiations again (about 1,500 functions, 1.5 s of race
// compile), and so does every package that builds on it: the server takes
// its store as its own interface (mcpserver.SessionStore), and only the
// store, its test server, the command and the load run that wire it may
// name go-redis or *sessionstore.Store.
func TestOnlyTheWiringNamesRedis(t *testing.T) {
	allowed := []string{"sessionstore/", "internal/redistest/", "cmd/insforge-mcp/", "bench/load/"}
	goFiles(t, false, func(rel string, _ *token.FileSet, f *ast.File) {
		for _, dir := range allowed {
			if strings.HasPrefix(rel, dir) {
				return
			}
		}
		for _, imp := range f.Imports {
			if path, _ := strconv.Unquote(imp.Path.Value); strings.HasPrefix(path, "github.com/redis/go-redis") {
				t.Errorf("%s imports %s: take the store as an interface (mcpserver.SessionStore)", rel, path)
			}
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if sel, ok := n.(*ast.SelectorExpr); ok && sel.Sel.Name == "Store" {
				if id, ok := sel.X.(*ast.Ident); ok && id.Name == "sessionstore" {
					t.Errorf("%s names sessionstore.Store: take the store as an interface (mcpserver.SessionStore)", rel)
				}
			}
			return true
		})
	})
}

// maxFuncLines bounds every product function, literals included. The fake
// backend (insforgefake) is a test double and is not product code.
const maxFuncLines = 150

func TestNoLongFunctions(t *testing.T) {
	goFiles(t, false, func(rel string, fset *token.FileSet, f *ast.File) {
		if strings.HasPrefix(rel, "internal/insforgefake/") {
			return
		}
		ast.Inspect(f, func(n ast.Node) bool {
			var body *ast.BlockStmt
			name := "a function literal"
			switch fn := n.(type) {
			case *ast.FuncDecl:
				body, name = fn.Body, fn.Name.Name
			case *ast.FuncLit:
				body = fn.Body
			}
			if body == nil {
				return true
			}
			start, end := fset.Position(n.Pos()), fset.Position(body.End())
			if lines := end.Line - start.Line + 1; lines > maxFuncLines {
				t.Errorf("%s:%d: %s is %d lines; split it (at most %d)", rel, start.Line, name, lines, maxFuncLines)
			}
			return true
		})
	})
}

// section is the section sign, written so that this file does not hold it.
const section = "\u00a7"

// Comments name endpoints and facts, never sections of a document the
// repository does not hold.
func TestNoSectionReferences(t *testing.T) {
	checked := 0
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "node_modules") {
			return filepath.SkipDir
		}
		if d.IsDir() || !(strings.HasSuffix(p, ".go") || strings.HasSuffix(p, ".md")) {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		checked++
		for i, line := range strings.Split(string(data), "\n") {
			if strings.Contains(line, section) {
				rel, _ := filepath.Rel(root, p)
				t.Errorf("%s:%d cites a section of an outside document; name the endpoint instead", rel, i+1)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked == 0 {
		t.Fatal("no files checked")
	}
}
