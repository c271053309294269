package main

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

const sample = `goos: linux
BenchmarkEcho/raw/64-2   	   1000	      2000 ns/op	  32.00 MB/s	  16 B/op	       2 allocs/op
BenchmarkEcho/sdk/64-2   	   1000	      1000 ns/op	  64.00 MB/s	  0 B/op	       0 allocs/op	12.5 pkts/s
BenchmarkEchoInterleaved/64-2   	   1000	      1000 ns/op	  0.98 sdk/raw
BenchmarkGame/Encode/variant-2 	1000	100 ns/op	0 B/op	0 allocs/op
BenchmarkGame/Encode/json-2    	1000	900 ns/op	500 B/op	9 allocs/op
BenchmarkGame/Encode/gob-stream-2    	1000	300 ns/op	100 B/op	3 allocs/op
BenchmarkGame/Encode/variant-struct-2 	1000	50 ns/op	0 B/op	0 allocs/op
BenchmarkOnlyOurs/sdk-2    	1000	300 ns/op
PASS
`

func TestParseLines(t *testing.T) {
	ls := parseLines([]byte(sample))
	var names []string
	for _, l := range ls {
		names = append(names, l.name)
	}
	want := []string{"BenchmarkEcho/raw/64", "BenchmarkEcho/sdk/64", "BenchmarkEchoInterleaved/64",
		"BenchmarkGame/Encode/variant", "BenchmarkGame/Encode/json", "BenchmarkGame/Encode/gob-stream",
		"BenchmarkGame/Encode/variant-struct", "BenchmarkOnlyOurs/sdk"}
	if !slices.Equal(names, want) {
		t.Fatalf("names = %q, want %q", names, want)
	}
	if s := ls[0].sample; s.NsPerOp != 2000 || s.BytesOp != 16 || s.AllocsOp != 2 || s.Metrics != nil {
		t.Fatalf("raw sample = %+v", s)
	}
	if s := ls[1].sample; s.Metrics["pkts/s"] != 12.5 {
		t.Fatalf("custom metric lost: %+v", s)
	}
}

func TestGroupLeaves(t *testing.T) {
	var names []string
	for _, l := range parseLines([]byte(sample)) {
		names = append(names, l.name)
	}
	gs := groupLeaves("./x", names)
	if len(gs) != 2 {
		t.Fatalf("got %d groups, want 2 (Echo/*/64 and Game/Encode/*; the unpaired ones dropped): %+v", len(gs), gs)
	}
	if g := gs[0]; g.Key != "BenchmarkEcho/*/64" || !slices.Equal(g.Members, []string{"BenchmarkEcho/raw/64", "BenchmarkEcho/sdk/64"}) {
		t.Fatalf("echo group = %+v", g)
	}
	if g := gs[1]; g.Key != "BenchmarkGame/Encode/*" || len(g.Members) != 4 {
		t.Fatalf("codec group = %+v", g)
	}
}

func TestLeafPattern(t *testing.T) {
	p := leafPattern("BenchmarkGame/Encode/gob-stream")
	if p != "^BenchmarkGame$/^Encode$/^gob-stream$" {
		t.Fatalf("pattern = %q", p)
	}
	// go test matches each level of the pattern against the same level of
	// the name; no other level-wise name may match.
	for _, other := range []string{"BenchmarkGameX/Encode/gob-stream", "BenchmarkGame/Encode/gob", "BenchmarkGame/Encode/gob-stream-fresh"} {
		levels, segs := strings.Split(p, "/"), strings.Split(other, "/")
		all := true
		for i := range levels {
			all = all && regexp.MustCompile(levels[i]).MatchString(segs[i])
		}
		if all {
			t.Fatalf("%q matches %q", p, other)
		}
	}
	if p := leafPattern("BenchmarkX/size=1.5"); p != `^BenchmarkX$/^size=1\.5$` {
		t.Fatalf("metacharacters not quoted: %q", p)
	}
}

func TestQuantile(t *testing.T) {
	vs := []float64{4, 1, 3, 2} // sorted: 1 2 3 4
	for _, c := range []struct{ q, want float64 }{{0, 1}, {0.25, 1.75}, {0.5, 2.5}, {0.75, 3.25}, {1, 4}} {
		if got := quantile(vs, c.q); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("quantile(%v) = %v, want %v", c.q, got, c.want)
		}
	}
	if vs[0] != 4 {
		t.Fatal("quantile sorted its input")
	}
	if median([]float64{5, 1, 9}) != 5 || !math.IsNaN(median(nil)) {
		t.Fatal("median")
	}
}

func TestPairRatiosByRound(t *testing.T) {
	ours := []Sample{{Round: 0, NsPerOp: 100}, {Round: 1, NsPerOp: 200}, {Round: 3, NsPerOp: 100}}
	base := []Sample{{Round: 0, NsPerOp: 150}, {Round: 2, NsPerOp: 999}, {Round: 3, NsPerOp: 50}}
	// Round 1 lacks a baseline and round 2 lacks ours: only rounds 0 and 3 pair.
	if got := pairRatios(ours, base); !slices.Equal(got, []float64{1.5, 0.5}) {
		t.Fatalf("ratios = %v, want [1.5 0.5]", got)
	}
}

func TestRoundOrderAlternates(t *testing.T) {
	m := []string{"raw", "sdk"}
	if !slices.Equal(roundOrder(m, 0), []string{"raw", "sdk"}) || !slices.Equal(roundOrder(m, 1), []string{"sdk", "raw"}) ||
		!slices.Equal(roundOrder(m, 2), []string{"raw", "sdk"}) {
		t.Fatal("order does not alternate")
	}
	if !slices.Equal(m, []string{"raw", "sdk"}) {
		t.Fatal("members modified")
	}
}

// fakeRuns returns a runFunc giving each leaf ns/op from a script of
// per-round values, and records the time order of the calls.
func fakeRuns(ns map[string][]float64, calls *[]string) runFunc {
	return func(_ context.Context, g *Group, leaf string) (Sample, error) {
		*calls = append(*calls, leaf)
		n := len(g.Samples[leaf])
		vs := ns[leaf]
		if n >= len(vs) || vs[n] < 0 {
			return Sample{}, errors.New("failed")
		}
		return Sample{NsPerOp: vs[n]}, nil
	}
}

func TestCollectInterleavesAndSettles(t *testing.T) {
	steady := &Group{Package: "./a", Key: "BenchmarkE/*", Members: []string{"BenchmarkE/raw", "BenchmarkE/sdk"}, Samples: map[string][]Sample{}}
	noisy := &Group{Package: "./b", Key: "BenchmarkN/*", Members: []string{"BenchmarkN/raw", "BenchmarkN/sdk"}, Samples: map[string][]Sample{}}
	ns := map[string][]float64{
		"BenchmarkE/raw": {100, 100, 100, 100, 100, 100},
		"BenchmarkE/sdk": {100, 100, 100, 100, 100, 100},
		// The machine slows down 5x in round 1 for both: the pair cancels
		// it. The ratio itself flips between 2 and 1: it never settles.
		"BenchmarkN/raw": {100, 500, 100, 250, 100, 500, 100, 100},
		"BenchmarkN/sdk": {50, 250, 100, 250, 50, 250, 100, -1},
	}
	var calls []string
	opt := Options{MinPairs: 3, MaxPairs: 8, Settle: 0.1}
	if err := collect(context.Background(), []*Group{steady, noisy}, opt, fakeRuns(ns, &calls), nil); err != nil {
		t.Fatal(err)
	}
	if steady.Rounds != 3 || !steady.Settled {
		t.Fatalf("steady group ran %d rounds (settled %v), want 3", steady.Rounds, steady.Settled)
	}
	if noisy.Rounds != 8 || noisy.Settled {
		t.Fatalf("noisy group ran %d rounds (settled %v), want all 8", noisy.Rounds, noisy.Settled)
	}
	wantStart := []string{"BenchmarkE/raw", "BenchmarkE/sdk", "BenchmarkN/raw", "BenchmarkN/sdk",
		"BenchmarkE/sdk", "BenchmarkE/raw", "BenchmarkN/sdk", "BenchmarkN/raw"}
	if !slices.Equal(calls[:8], wantStart) {
		t.Fatalf("time order = %q, want %q first", calls, wantStart)
	}
	rs := rows([]*Group{steady, noisy}, 0.25)
	if len(rs) != 2 {
		t.Fatalf("rows = %+v", rs)
	}
	if r := rs[0]; r.Ratio != 1 || r.Wide || len(r.Ratios) != 3 {
		t.Fatalf("steady row = %+v", r)
	}
	// Noisy: pairs 2,2,1,1,2,2,1 (round 7's sdk failed, so 7 pairs).
	if r := rs[1]; r.Ratio != 2 || r.Q1 != 1 || r.Q3 != 2 || !r.Wide || len(r.Ratios) != 7 ||
		!slices.Equal(r.Ratios, []float64{2, 2, 1, 1, 2, 2, 1}) {
		t.Fatalf("noisy row = %+v", r)
	}
	// Samples carry their round and a strictly increasing time order.
	last := -1
	for _, l := range []string{"BenchmarkN/raw", "BenchmarkN/sdk"} {
		for i, s := range noisy.Samples[l] {
			if s.Seq <= last && i > 0 {
				t.Fatalf("%s samples out of time order: %+v", l, noisy.Samples[l])
			}
			last = s.Seq
		}
		last = -1
	}
	if got := noisy.Samples["BenchmarkN/sdk"][6].Round; got != 6 {
		t.Fatalf("sdk's 7th sample is from round %d, want 6", got)
	}
}

func TestCollectStopsAtDeadline(t *testing.T) {
	g := &Group{Package: "./a", Key: "BenchmarkE/*", Members: []string{"BenchmarkE/raw", "BenchmarkE/sdk"}, Samples: map[string][]Sample{}}
	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	run := func(context.Context, *Group, string) (Sample, error) {
		if n++; n == 3 {
			cancel()
		}
		return Sample{NsPerOp: 1}, nil
	}
	err := collect(ctx, []*Group{g}, Options{MinPairs: 10, MaxPairs: 10}, run, nil)
	if !errors.Is(err, context.Canceled) || n != 3 {
		t.Fatalf("err = %v after %d runs, want context.Canceled after 3", err, n)
	}
	if rs := rows([]*Group{g}, 0.25); len(rs) != 1 || len(rs[0].Ratios) != 1 || !rs[0].Wide {
		t.Fatalf("rows after a stop = %+v, want one pair, marked wide", rs)
	}
}

func TestWideRows(t *testing.T) {
	g := &Group{Package: "./w", Key: "BenchmarkT/*/1200", Members: []string{"BenchmarkT/sdk/1200", "BenchmarkT/raw/1200"}, Samples: map[string][]Sample{}}
	// The case: ratios from 0.2 to 1.2 run to run.
	for i, r := range []float64{0.2, 1.2, 0.3, 1.1, 0.9, 0.21} {
		g.Samples["BenchmarkT/sdk/1200"] = append(g.Samples["BenchmarkT/sdk/1200"], Sample{Round: i, NsPerOp: 1000})
		g.Samples["BenchmarkT/raw/1200"] = append(g.Samples["BenchmarkT/raw/1200"], Sample{Round: i, NsPerOp: 1000 * r})
	}
	rs := groupRows(g, 0.25)
	if len(rs) != 1 || !rs[0].Wide || rs[0].Case != "T/*/1200" || rs[0].Ours != "sdk" || rs[0].Baseline != "raw" {
		t.Fatalf("rows = %+v, want one wide sdk-vs-raw row", rs)
	}
	if groupSettled(g, 0.1) {
		t.Fatal("a wide group counts as settled")
	}
	md := markdown(Report{Options: Options{MinPairs: 6, MaxPairs: 15, Benchtime: "150ms", Wide: 0.25, Started: "2026-12-03T06:00:00Z"}, Rows: rs})
	if !strings.Contains(md, "| w | T/*/1200 | sdk | raw | 1.00µs | 600 | 0.60 | 0.23–1.05 ⚠ | 6 | 0 / 0 |") {
		t.Fatalf("markdown:\n%s", md)
	}
	if !strings.Contains(md, "Measured 2026-12-03") || !strings.Contains(md, "6–15 pairs") {
		t.Fatalf("markdown header:\n%s", md)
	}
}

func TestLogDomainAndScale(t *testing.T) {
	lo, hi := logDomain([]Row{{Ratio: 0.93, Q1: 0.88, Q3: 1.1}})
	if lo != 0.5 || hi != 2 {
		t.Fatalf("domain = %v..%v, want 0.5..2", lo, hi)
	}
	lo, hi = logDomain([]Row{{Ratio: 417, Q1: 300, Q3: 450}, {Ratio: 0.2, Q1: 0.15, Q3: 0.3}})
	if lo != 0.1 || hi != 500 {
		t.Fatalf("domain = %v..%v, want 0.1..500", lo, hi)
	}
	if scale(0.1, lo, hi) != svgPlotX0 || scale(500, lo, hi) != svgPlotX1 || scale(1e9, lo, hi) != svgPlotX1 || scale(0, lo, hi) != svgPlotX0 {
		t.Fatal("scale ends or clamping")
	}
	// Log scale: 0.5 and 2 are equally far from 1.
	if d1, d2 := scale(1, lo, hi)-scale(0.5, lo, hi), scale(2, lo, hi)-scale(1, lo, hi); math.Abs(d1-d2) > 1e-9 {
		t.Fatalf("not logarithmic: %v vs %v", d1, d2)
	}
}

func TestSVG(t *testing.T) {
	rs := []Row{
		{Package: "./variant", Case: "Game/Encode/*", Ours: "variant", Baseline: "json", Ratio: 5.9, Q1: 5.5, Q3: 6.2, Ratios: make([]float64, 6)},
		{Package: "./transport/dtls", Case: "Echo/*/1200", Ours: "sdk", Baseline: "raw", Ratio: 0.6, Q1: 0.23, Q3: 1.05, Wide: true, Ratios: make([]float64, 15)},
		{Package: "./transport/dtls", Case: "Send/<&>", Ours: "sdk", Baseline: "raw", Ratio: 0.95, Q1: 0.93, Q3: 0.97, Ratios: make([]float64, 6)},
	}
	s := svg(rs)
	// Well-formed XML, one bar (rect with a title) per row.
	dec := xml.NewDecoder(strings.NewReader(s))
	bars, texts := 0, []string{}
	inText := false
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("not well-formed: %v\n%s", err, s)
		}
		switch e := tok.(type) {
		case xml.StartElement:
			if e.Name.Local == "rect" && attr(e, "fill") != "#ffffff" {
				bars++
			}
			inText = e.Name.Local == "text"
		case xml.CharData:
			if inText {
				texts = append(texts, string(e))
			}
		case xml.EndElement:
			inText = false
		}
	}
	if bars != len(rs) {
		t.Fatalf("%d bars, want %d", bars, len(rs))
	}
	joined := strings.Join(texts, "\n")
	for _, want := range []string{"variant  Game/Encode/*  variant vs json", "5.90 (5.50–6.20, 6 pairs)", "0.60 (0.23–1.05, 15 pairs) ⚠", "dtls  Send/<&>  sdk vs raw", "1×", "2×", "10×"} {
		if !strings.Contains(joined, want) {
			t.Errorf("chart text lacks %q:\n%s", want, joined)
		}
	}
	if !strings.Contains(s, `fill-opacity="0.35"`) || strings.Count(s, `fill-opacity="1.00"`) != 2 {
		t.Error("the wide row is not the one drawn pale")
	}
	// Over more than two and a half decades only powers of ten are labelled.
	wideAxis := svg([]Row{{Ratio: 400, Q1: 300, Q3: 450, Ratios: make([]float64, 6)}})
	if !strings.Contains(wideAxis, ">100×<") || strings.Contains(wideAxis, ">200×<") || strings.Contains(wideAxis, ">2×<") {
		t.Errorf("wide axis ticks:\n%s", wideAxis)
	}
}

func attr(e xml.StartElement, name string) string {
	for _, a := range e.Attr {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
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

func TestWriteAndRedrawFromJSON(t *testing.T) {
	g := &Group{Package: "./a", Key: "BenchmarkE/*/64", Members: []string{"BenchmarkE/raw/64", "BenchmarkE/sdk/64"}, Samples: map[string][]Sample{}}
	for i, ns := range []float64{100, 110, 90, 105} {
		g.Samples["BenchmarkE/raw/64"] = append(g.Samples["BenchmarkE/raw/64"], Sample{Round: i, Seq: 2 * i, NsPerOp: ns})
		g.Samples["BenchmarkE/sdk/64"] = append(g.Samples["BenchmarkE/sdk/64"], Sample{Round: i, Seq: 2*i + 1, NsPerOp: ns / 2})
	}
	dir := t.TempDir()
	jsonPath, svgPath, readme := filepath.Join(dir, "r.json"), filepath.Join(dir, "b.svg"), filepath.Join(dir, "README.md")
	os.WriteFile(readme, []byte("<!-- bench:start -->\n<!-- bench:end -->\n"), 0o644)
	rep := Report{Options: Options{MinPairs: 4, MaxPairs: 4, Wide: 0.25}, Groups: []*Group{g}, Rows: rows([]*Group{g}, 0.25)}
	devnull, _ := os.Open(os.DevNull)
	stdout := os.Stdout
	os.Stdout = devnull
	err := write(rep, jsonPath, svgPath, readme)
	os.Stdout = stdout
	if err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(jsonPath)
	var back Report
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if rs := rows(back.Groups, 0.25); len(rs) != 1 || rs[0].Ratio != 2 || len(rs[0].Ratios) != 4 {
		t.Fatalf("rows redrawn from JSON = %+v", rs)
	}
	back.Options.Packages, back.Options.Elapsed = "./a", "3m0s"
	other := back
	other.Options.Packages, other.Options.Elapsed = "./b", "5m0s"
	other.Groups = []*Group{{Package: "./variant", Key: g.Key, Members: g.Members, Samples: g.Samples}}
	m := merge([]Report{back, other}, 0.5)
	if md := markdown(m); !strings.Contains(md, "2 runs of up to 5m0s each, merged") {
		t.Fatalf("merged header:\n%s", md)
	}
	if len(m.Rows) != 2 || m.Rows[0].Package != "./variant" || m.Options.Packages != "./a,./b" || m.Options.Elapsed != "5m0s" || m.Options.Wide != 0.5 {
		t.Fatalf("merged = %+v", m.Options)
	}
	if s, _ := os.ReadFile(svgPath); !strings.Contains(string(s), "2.00 (2.00–2.00, 4 pairs)") {
		t.Fatalf("svg:\n%s", s)
	}
	if s, _ := os.ReadFile(readme); !strings.Contains(string(s), "| a | E/*/64 | sdk | raw | 51 | 102 | 2.00 | 2.00–2.00 | 4 |") {
		t.Fatalf("README:\n%s", s)
	}
}

func TestSampleBenchtime(t *testing.T) {
	if got := sampleBenchtime(nil, "150ms"); got != "150ms" {
		t.Fatalf("first sample: %q", got)
	}
	earlier := []Sample{{N: 4321}, {N: 99}}
	if got := sampleBenchtime(earlier, "150ms"); got != "4321x" {
		t.Fatalf("later sample: %q, want the first sample's count", got)
	}
	if got := sampleBenchtime(earlier, "500x"); got != "500x" {
		t.Fatalf("a count stays a count: %q", got)
	}
	if s := parseLines([]byte(sample))[0].sample; s.N != 1000 {
		t.Fatalf("iterations not parsed: %+v", s)
	}
}

func TestPanicSummary(t *testing.T) {
	out := "BenchmarkSend/raw/64-2 \npanic: test timed out after 25s\n\trunning tests:\n\t\tBenchmarkSend/raw/64 (25s)\n\ngoroutine 7 [chan receive]:\ntesting.(*B).run1(...)\n\t/usr/lib/go/src/testing/benchmark.go:200 +0x1\nmain.rawPair.func2()\n\t/w/transport/dtls/bench_test.go:150 +0x2a\n"
	if got := panicSummary(nil, []byte(out)); got != "panic: test timed out after 25s at /w/transport/dtls/bench_test.go:150 +0x2a" {
		t.Fatalf("summary = %q", got)
	}
	if got := panicSummary([]byte("PASS\n")); got != "" {
		t.Fatalf("summary of a pass = %q", got)
	}
}
