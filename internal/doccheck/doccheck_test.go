// Package doccheck holds a test that every exported identifier of the
// module's public packages is documented.
package doccheck

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
)

func TestExportedIdentifiersAreDocumented(t *testing.T) {
	root := filepath.Join("..", "..")
	var missing []string
	checked := map[string]bool{} // package directories with a checked file
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		if d.IsDir() {
			base := d.Name()
			if rel != "." && (strings.HasPrefix(base, ".") || base == "testdata" || base == "node_modules" ||
				base == "internal" || base == "examples" || base == "cmd" || base == "e2e" || base == "hostile") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ParseComments)
		if err != nil {
			t.Errorf("%s: %v", rel, err)
			return nil
		}
		checked[filepath.Dir(rel)] = true
		for _, decl := range f.Decls {
			switch d := decl.(type) {
			case *ast.FuncDecl:
				if !d.Name.IsExported() || d.Doc != nil {
					continue
				}
				if d.Recv != nil && (!exportedRecv(d.Recv) || wellKnownMethods[d.Name.Name]) {
					continue
				}
				missing = append(missing, rel+": func "+d.Name.Name)
			case *ast.GenDecl:
				for _, s := range d.Specs {
					switch s := s.(type) {
					case *ast.TypeSpec:
						if s.Name.IsExported() && d.Doc == nil && s.Doc == nil {
							missing = append(missing, rel+": type "+s.Name.Name)
						}
					case *ast.ValueSpec:
						for _, n := range s.Names {
							if n.IsExported() && d.Doc == nil && s.Doc == nil && s.Comment == nil {
								missing = append(missing, rel+": "+n.Name)
							}
						}
					}
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("walking the module: %v", err)
	}
	// The walk must have reached the public packages; a wrong root or an
	// over-eager skip would otherwise pass with nothing checked.
	for _, pkg := range publicPackages {
		if !checked[filepath.FromSlash(pkg)] {
			t.Errorf("package %s: no file checked", pkg)
		}
	}
	for _, m := range missing {
		t.Errorf("undocumented exported identifier: %s", m)
	}
}

// publicPackages must each have been checked.
var publicPackages = []string{"devcert", "peer", "peer/peertest", "variant", "transport/udp", "transport/stream",
	"transport/dtls", "transport/websocket", "transport/webrtc", "transport/webrtc/signaling", "transport/quic"}

// Methods whose meaning the interface they satisfy already documents.
var wellKnownMethods = map[string]bool{"Error": true, "String": true, "Unwrap": true, "GoString": true}

func exportedRecv(r *ast.FieldList) bool {
	if len(r.List) == 0 {
		return false
	}
	typ := r.List[0].Type
	if s, ok := typ.(*ast.StarExpr); ok {
		typ = s.X
	}
	if g, ok := typ.(*ast.IndexExpr); ok {
		typ = g.X
	}
	id, ok := typ.(*ast.Ident)
	return ok && id.IsExported()
}
