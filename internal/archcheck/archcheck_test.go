// Package archcheck holds a test that the module's import arrows point the
// way DESIGN.md draws them: transports import peer, multiplayer and
// internal; scene sits on multiplayer and knows no transport.
package archcheck

import (
	"bufio"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// A rule forbids the packages under from (the package from and those below
// it, except those under except) to depend, directly or through other
// packages of the module, on an import that forbidden reports (given the
// package checked and the package that imports imp).
type rule struct {
	name      string
	from      string
	except    []string
	forbidden func(from, importer, imp string) bool
}

func TestImportArrows(t *testing.T) {
	root := filepath.Join("..", "..")
	mod := modulePath(t, root)
	g := importGraph(t, root, mod)
	// The walk must have found the packages the rules are about; a wrong
	// root or an over-eager skip would otherwise pass with nothing checked.
	for _, pkg := range []string{"peer", "variant", "multiplayer", "scene", "scene/rooms", "transport/udp", "transport/enet", "transport/websocket"} {
		if _, ok := g[pkg]; !ok {
			t.Fatalf("package %s not found under %s", pkg, root)
		}
	}
	for _, r := range rules {
		for _, pkg := range sortedKeys(g) {
			if !under(pkg, r.from) || slices.ContainsFunc(r.except, func(e string) bool { return under(pkg, e) }) {
				continue
			}
			for _, chain := range violations(g, pkg, func(importer, imp string) bool { return r.forbidden(pkg, importer, imp) }) {
				t.Errorf("%s: %s", r.name, strings.Join(chain, " -> "))
			}
		}
	}
}

var rules = []rule{
	{
		name: "scene imports no transport",
		from: "scene", except: []string{"scene/rooms"},
		forbidden: func(_, _, imp string) bool { return under(imp, "transport") },
	},
	{
		name: "multiplayer imports no scene or transport",
		from: "multiplayer",
		forbidden: func(_, _, imp string) bool {
			return under(imp, "scene") || under(imp, "transport")
		},
	},
	{
		name: "peer imports no third-party module",
		from: "peer", forbidden: func(_, _, imp string) bool { return thirdParty(imp) },
	},
	{
		name: "variant imports no third-party module",
		from: "variant", forbidden: func(_, _, imp string) bool { return thirdParty(imp) },
	},
	{
		name: "no transport imports another transport",
		from: "transport",
		forbidden: func(from, importer, imp string) bool {
			if !under(imp, "transport") {
				return false
			}
			// DESIGN.md allows WebRTC's signalling to use the WebSocket transport.
			if under(importer, "transport/webrtc/signaling") && under(imp, "transport/websocket") {
				return false
			}
			return transportOf(imp) != transportOf(from)
		},
	},
}

// under reports whether pkg is dir or below it (module-relative paths).
func under(pkg, dir string) bool { return pkg == dir || strings.HasPrefix(pkg, dir+"/") }

// transportOf returns the transport pkg belongs to: "transport/webrtc" for
// "transport/webrtc/signaling".
func transportOf(pkg string) string {
	parts := strings.SplitN(pkg, "/", 3)
	return parts[0] + "/" + parts[1]
}

// thirdParty reports whether imp, an import path that is not the module's,
// names a module outside the standard library (its first element has a dot).
func thirdParty(imp string) bool {
	first, _, _ := strings.Cut(imp, "/")
	return strings.Contains(first, ".")
}

// graph maps each package of the module (by its module-relative path) to
// its imports: module-relative paths for the module's packages, full
// import paths for the rest.
type graph map[string][]string

// violations returns, for each import forbidden reports that pkg reaches,
// the shortest chain of imports from pkg to it.
func violations(g graph, pkg string, forbidden func(importer, imp string) bool) [][]string {
	parent := map[string]string{pkg: ""}
	queue := []string{pkg}
	var found [][]string
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		for _, imp := range g[p] {
			if _, seen := parent[imp]; seen {
				continue
			}
			parent[imp] = p
			if forbidden(p, imp) {
				var chain []string
				for q := imp; q != ""; q = parent[q] {
					chain = append(chain, q)
				}
				slices.Reverse(chain)
				found = append(found, chain)
				continue
			}
			if _, ours := g[imp]; ours {
				queue = append(queue, imp)
			}
		}
	}
	return found
}

// importGraph parses the imports of every non-test Go file under root, on
// every platform (build constraints are not applied).
func importGraph(t *testing.T, root, mod string) graph {
	t.Helper()
	g := graph{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			base := d.Name()
			if p != root && (strings.HasPrefix(base, ".") || strings.HasPrefix(base, "_") || base == "testdata" || base == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), p, nil, parser.ImportsOnly)
		if err != nil {
			t.Errorf("%v", err)
			return nil
		}
		rel, err := filepath.Rel(root, filepath.Dir(p))
		if err != nil {
			return err
		}
		pkg := filepath.ToSlash(rel)
		imps := g[pkg]
		for _, s := range f.Imports {
			imp, err := strconv.Unquote(s.Path.Value)
			if err != nil {
				t.Errorf("%s: import %s: %v", p, s.Path.Value, err)
				continue
			}
			if imp == mod {
				imp = "."
			} else if strings.HasPrefix(imp, mod+"/") {
				imp = path.Clean(strings.TrimPrefix(imp, mod+"/"))
			}
			if !slices.Contains(imps, imp) {
				imps = append(imps, imp)
			}
		}
		g[pkg] = imps
		return nil
	})
	if err != nil {
		t.Fatalf("walking the module: %v", err)
	}
	return g
}

// modulePath reads the module path from root's go.mod.
func modulePath(t *testing.T, root string) string {
	t.Helper()
	f, err := os.Open(filepath.Join(root, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "module "); ok {
			return strings.Trim(strings.TrimSpace(rest), `"`)
		}
	}
	t.Fatalf("no module line in %s", f.Name())
	return ""
}

func sortedKeys(g graph) []string {
	keys := make([]string, 0, len(g))
	for k := range g {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
