package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const sample = `goos: linux
BenchmarkEcho/raw/64-2   	   1000	      2000 ns/op	  32.00 MB/s	  0 B/op	       0 allocs/op
BenchmarkEcho/sdk/64-2   	   1000	      1000 ns/op	  64.00 MB/s	  0 B/op	       0 allocs/op
BenchmarkEcho/raw/64-2   	   1000	      2200 ns/op	  29.00 MB/s	  0 B/op	       0 allocs/op
BenchmarkEcho/sdk/64-2   	   1000	      1100 ns/op	  58.00 MB/s	  0 B/op	       0 allocs/op
BenchmarkEcho/raw/64-2   	   1000	      9000 ns/op	  29.00 MB/s	  0 B/op	       0 allocs/op
BenchmarkEcho/sdk/64-2   	   1000	      1050 ns/op	  58.00 MB/s	  0 B/op	       0 allocs/op
BenchmarkGame/Encode/variant-2 	1000	100 ns/op	0 B/op	0 allocs/op
BenchmarkGame/Encode/json-2    	1000	900 ns/op	500 B/op	9 allocs/op
BenchmarkGame/Encode/gob-stream-2    	1000	300 ns/op	100 B/op	3 allocs/op
BenchmarkAlone-2    	1000	300 ns/op	12.5 pkts/s
PASS
`

func TestParseAndPair(t *testing.T) {
	rows := parse("./x", []byte(sample))
	if len(rows) != 6 {
		t.Fatalf("got %d rows, want 6: %+v", len(rows), rows)
	}
	if rows[0].Name != "BenchmarkEcho/raw/64" || rows[0].NsPerOp != 2200 || rows[0].Samples != 3 {
		t.Fatalf("median row = %+v, want raw/64 with median 2200 over 3 samples", rows[0])
	}
	if rows[5].Metrics["pkts/s"] != 12.5 {
		t.Fatalf("custom metric lost: %+v", rows[5])
	}
	pairs := pairRows(rows)
	if len(pairs) != 3 {
		t.Fatalf("got %d pairs, want 3: %+v", len(pairs), pairs)
	}
	if p := pairs[0]; p.Case != "Echo/*/64" || p.Baseline != "raw" || p.Ratio != 2200.0/1050 {
		t.Fatalf("echo pair = %+v", p)
	}
	if p := pairs[1]; p.Baseline != "json" || p.Ratio != 9 || p.BaseAlloc != 9 {
		t.Fatalf("json pair = %+v", p)
	}
	md := markdown(Report{Count: 3, Benchtime: "1s", Pairs: pairs})
	if !strings.Contains(md, "| x | Echo/*/64 | sdk | raw | 1.05µs | 2.20µs | 2.10 | 0 / 0 |") {
		t.Fatalf("markdown:\n%s", md)
	}
}

func TestReplaceSection(t *testing.T) {
	path := filepath.Join(t.TempDir(), "README.md")
	os.WriteFile(path, []byte("a\n<!-- bench:start -->\nold\n<!-- bench:end -->\nb\n"), 0o644)
	if err := replaceSection(path, "new\n"); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	if string(b) != "a\n<!-- bench:start -->\nnew\n<!-- bench:end -->\nb\n" {
		t.Fatalf("got %q", b)
	}
	os.WriteFile(path, []byte("no markers"), 0o644)
	if err := replaceSection(path, "x"); err == nil {
		t.Fatal("missing markers not reported")
	}
}
