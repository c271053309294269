package main

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzParseScript: any source gives @rpc methods or an error, never a panic
// or a hang.
func FuzzParseScript(f *testing.F) {
	files, _ := filepath.Glob("testdata/*/*.gd")
	more, _ := filepath.Glob("testdata/*/*/*.gd")
	for _, p := range append(files, more...) {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b))
	}
	f.Add("@rpc(\"any_peer\"")
	f.Add("@rpc\n\tfunc")
	f.Fuzz(func(t *testing.T, src string) {
		s, err := parseScript("f.gd", src)
		if err != nil {
			return
		}
		for _, m := range s.rpcs {
			if m.Name == "" {
				t.Fatalf("%q: RPC without a name", src)
			}
		}
	})
}
