// Command ppbench measures packetpeer next to the raw libraries it wraps and
// prints one table of ratios, with their spread. It is what
// `make bench-report` runs.
//
// Each package's tests are compiled once. A short discovery run lists its
// sub-benchmarks; every "sdk" leaf is grouped with its "raw" twin (and
// variant's leaves with encoding/json, encoding/gob and copy). Then, in
// rounds, each group runs every member as its own short benchmark process
// (-benchtime for a leaf's first sample, then the iteration count go test
// chose for it, so every sample times the same work without a ramp-up),
// one after the other, forward in even rounds and backward in odd ones, so
// that raw and ours alternate and a pair is measured minutes apart from the
// next pair but seconds apart from itself. The k-th sample of ours and the
// k-th sample of a baseline form a pair; each pair gives a ratio
// baseline_ns / ours_ns (above 1 means packetpeer does the same work faster).
// A row reports the median of its per-pair ratios and their middle half
// (first to third quartile), and is marked when that middle half is too wide
// to conclude. Groups whose spread settles early stop early; the others run
// up to -max-pairs. Loopback only; bounded by -timeout.
//
//	go run ./cmd/ppbench                          # table on stdout, bench-report.json
//	go run ./cmd/ppbench -readme README.md -svg docs/bench.svg
//	go run ./cmd/ppbench -pkgs ./transport/dtls -bench Echo -max-pairs 8
//	go run ./cmd/ppbench -from bench-report.json -svg docs/bench.svg   # redraw only
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Packages measured, in report order.
var defaultPackages = []string{
	"./variant", "./transport/udp", "./transport/stream", "./transport/websocket",
	"./transport/dtls", "./transport/quic", "./transport/webrtc", "./transport/enet",
}

// Our implementation's name segment, and the baselines it is compared with.
var (
	oursNames     = []string{"sdk", "variant", "variant-struct"}
	baselineNames = []string{"raw", "json", "gob", "gob-stream", "gob-fresh", "copy"}
)

// Options bound and shape a run.
type Options struct {
	MinPairs  int     `json:"min_pairs"` // pairs every row gets
	MaxPairs  int     `json:"max_pairs"` // pairs an unsettled row may get
	Settle    float64 `json:"settle"`    // a row whose middle half is narrower than this share of its median stops early
	Wide      float64 `json:"wide"`      // a row whose middle half is wider than this share of its median is inconclusive
	Benchtime string  `json:"benchtime"` // go test -benchtime of each sample
	Pattern   string  `json:"bench"`     // go test -bench pattern for discovery
	RunLimit  string  `json:"run_limit"` // bound on one sample's process
	Timeout   string  `json:"timeout"`   // bound on the whole run
	Packages  string  `json:"packages"`  // measured packages
	Started   string  `json:"started"`   // UTC
	Elapsed   string  `json:"elapsed"`   // wall time of the whole run
	Stopped   string  `json:"stopped,omitempty"`
	Merged    int     `json:"merged,omitempty"` // reports joined by -from
	GoVersion string  `json:"go_version"`       // go env GOVERSION
}

// Sample is one benchmark process's result for one leaf.
type Sample struct {
	Round    int                `json:"round"`
	N        int                `json:"n"`   // iterations timed
	Seq      int                `json:"seq"` // position in the run's time order
	NsPerOp  float64            `json:"ns_per_op"`
	BytesOp  float64            `json:"bytes_per_op"`
	AllocsOp float64            `json:"allocs_per_op"`
	Metrics  map[string]float64 `json:"metrics,omitempty"`
}

// Group is the leaves of one benchmark case that differ only in the
// implementation segment of their name.
type Group struct {
	Package string              `json:"package"`
	Key     string              `json:"key"`     // the name with the implementation segment replaced by "*"
	Members []string            `json:"members"` // leaf names, in discovery order
	Samples map[string][]Sample `json:"samples"` // by leaf name, in time order
	Rounds  int                 `json:"rounds"`
	Settled bool                `json:"settled"`
}

// Row compares one implementation of ours with one baseline over paired
// samples.
type Row struct {
	Package   string    `json:"package"`
	Case      string    `json:"case"`
	Ours      string    `json:"ours"`
	Baseline  string    `json:"baseline"`
	OursNs    float64   `json:"ours_ns_per_op"`     // median
	BaseNs    float64   `json:"baseline_ns_per_op"` // median
	Ratio     float64   `json:"ratio"`              // median of per-pair baseline_ns / ours_ns: >1 = faster than the baseline
	Q1        float64   `json:"ratio_q1"`
	Q3        float64   `json:"ratio_q3"`
	Ratios    []float64 `json:"ratios"` // per pair, in time order
	Wide      bool      `json:"wide"`   // spread too wide to conclude
	OursAlloc float64   `json:"ours_allocs_per_op"`
	BaseAlloc float64   `json:"baseline_allocs_per_op"`
}

// Report is what -json writes.
type Report struct {
	Options Options  `json:"options"`
	Rows    []Row    `json:"rows"`
	Groups  []*Group `json:"groups"`
}

func main() {
	minPairs := flag.Int("pairs", 6, "paired samples every row gets")
	maxPairs := flag.Int("max-pairs", 15, "paired samples a row whose spread has not settled may get")
	settle := flag.Float64("settle", 0.08, "stop a row early once its middle half is narrower than this share of its median ratio")
	wide := flag.Float64("wide", 0.25, "mark a row inconclusive when its middle half is wider than this share of its median ratio")
	benchtime := flag.String("benchtime", "150ms", "go test -benchtime of each sample")
	runLimit := flag.Duration("run-timeout", 30*time.Second, "bound on one sample's process")
	timeout := flag.Duration("timeout", 14*time.Minute, "bound on the whole run (rows keep the pairs measured so far)")
	jsonOut := flag.String("json", "bench-report.json", "write the full report, every sample included, here ('' to skip)")
	readme := flag.String("readme", "", "refresh the section between <!-- bench:start --> and <!-- bench:end --> in this file")
	svgOut := flag.String("svg", "", "draw the rows as a bar chart in this SVG file")
	pkgs := flag.String("pkgs", strings.Join(defaultPackages, ","), "comma-separated packages")
	bench := flag.String("bench", ".", "go test -bench pattern selecting the benchmarks")
	from := flag.String("from", "", "measure nothing: redraw the table, chart and README section from these earlier -json reports (comma-separated, merged in order)")
	flag.Parse()
	if *from != "" {
		var reps []Report
		for _, path := range strings.Split(*from, ",") {
			b, err := os.ReadFile(path)
			if err != nil {
				log.Fatal(err)
			}
			var rep Report
			if err := json.Unmarshal(b, &rep); err != nil {
				log.Fatalf("ppbench: %s: %v", path, err)
			}
			reps = append(reps, rep)
		}
		if err := write(merge(reps, *wide), *jsonOut, *svgOut, *readme); err != nil {
			log.Fatal(err)
		}
		return
	}
	if *minPairs < 1 || *maxPairs < *minPairs {
		log.Fatal("ppbench: need 1 <= -pairs <= -max-pairs")
	}

	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	opt := Options{
		MinPairs: *minPairs, MaxPairs: *maxPairs, Settle: *settle, Wide: *wide,
		Benchtime: *benchtime, Pattern: *bench, RunLimit: runLimit.String(), Timeout: timeout.String(),
		Packages: *pkgs, Started: start.UTC().Format(time.RFC3339),
	}
	if out, err := exec.Command("go", "env", "GOVERSION").Output(); err == nil {
		opt.GoVersion = strings.TrimSpace(string(out))
	}
	tmp, err := os.MkdirTemp("", "ppbench")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(tmp)

	var groups []*Group
	bins := map[string]*binary{}
	for i, pkg := range strings.Split(*pkgs, ",") {
		fmt.Fprintf(os.Stderr, "ppbench: building and listing %s\n", pkg)
		bin, err := build(ctx, pkg, filepath.Join(tmp, strconv.Itoa(i)+".test"))
		if err != nil {
			log.Printf("ppbench: %s: %v (skipped)", pkg, err)
			continue
		}
		bins[pkg] = bin
		out, err := bin.run(ctx, *runLimit, *bench, "1x")
		if err != nil {
			log.Printf("ppbench: %s: listing: %v (benchmarks listed so far are kept)", pkg, err)
		}
		var names []string
		for _, l := range parseLines(out) {
			names = append(names, l.name)
		}
		groups = append(groups, groupLeaves(pkg, names)...)
	}
	run := func(ctx context.Context, g *Group, leaf string) (Sample, error) {
		out, err := bins[g.Package].run(ctx, *runLimit, leafPattern(leaf), sampleBenchtime(g.Samples[leaf], *benchtime))
		for _, l := range parseLines(out) {
			if l.name == leaf {
				return l.sample, nil
			}
		}
		if err == nil {
			err = errors.New("no result line")
		}
		return Sample{}, err
	}
	progress := func(round, active int) {
		fmt.Fprintf(os.Stderr, "ppbench: round %d, %d rows still settling (%s)\n", round+1, active, time.Since(start).Round(time.Second))
	}
	if err := collect(ctx, groups, opt, run, progress); err != nil {
		opt.Stopped = err.Error()
		log.Printf("ppbench: %v (rows keep the pairs measured so far)", err)
	}
	opt.Elapsed = time.Since(start).Round(time.Second).String()

	rep := Report{Options: opt, Groups: groups, Rows: rows(groups, opt.Wide)}
	if err := write(rep, *jsonOut, *svgOut, *readme); err != nil {
		log.Fatal(err)
	}
}

// merge joins reports of separate runs: the first one's options (the
// longest elapsed time, every package), every group in the default report's
// package order, rows recomputed with the given inconclusive threshold.
func merge(reps []Report, wide float64) Report {
	var out Report
	var pkgs []string
	var elapsed time.Duration
	for i, r := range reps {
		if i == 0 {
			out.Options = r.Options
		}
		pkgs = append(pkgs, r.Options.Packages)
		if d, err := time.ParseDuration(r.Options.Elapsed); err == nil {
			elapsed = max(elapsed, d)
		}
		out.Groups = append(out.Groups, r.Groups...)
	}
	slices.SortStableFunc(out.Groups, func(a, b *Group) int { return packageRank(a.Package) - packageRank(b.Package) })
	out.Options.Packages = strings.Join(pkgs, ",")
	out.Options.Elapsed = elapsed.String()
	out.Options.Merged = len(reps)
	out.Options.Wide = wide
	out.Rows = rows(out.Groups, wide)
	return out
}

// packageRank orders packages as the default report does, others last.
func packageRank(pkg string) int {
	if i := slices.Index(defaultPackages, pkg); i >= 0 {
		return i
	}
	return len(defaultPackages)
}

// write prints the table and writes each output whose path is not empty.
func write(rep Report, jsonOut, svgOut, readme string) error {
	table := markdown(rep)
	fmt.Print(table)
	if jsonOut != "" {
		b, _ := json.MarshalIndent(rep, "", "  ")
		if err := os.WriteFile(jsonOut, append(b, '\n'), 0o644); err != nil {
			return err
		}
	}
	if svgOut != "" {
		if err := os.WriteFile(svgOut, []byte(svg(rep.Rows)), 0o644); err != nil {
			return err
		}
	}
	if readme != "" {
		return replaceSection(readme, table)
	}
	return nil
}

// binary is one package's compiled tests.
type binary struct{ path, dir string }

func build(ctx context.Context, pkg, out string) (*binary, error) {
	dir, err := exec.CommandContext(ctx, "go", "list", "-f", "{{.Dir}}", pkg).Output()
	if err != nil {
		return nil, fmt.Errorf("go list: %w", err)
	}
	cmd := exec.CommandContext(ctx, "go", "test", "-c", "-o", out, pkg)
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("go test -c: %w", err)
	}
	return &binary{path: out, dir: strings.TrimSpace(string(dir))}, nil
}

// run runs the benchmarks matching pattern once each, in the package's
// directory as go test would.
// A hung benchmark hits go test's own -test.timeout (limit less this) first,
// so that its panic names where it hung.
const panicMargin = 5 * time.Second

func (b *binary) run(ctx context.Context, limit time.Duration, pattern, benchtime string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	cmd := exec.CommandContext(ctx, b.path, "-test.run", "^$", "-test.bench", pattern, "-test.benchmem",
		"-test.count", "1", "-test.benchtime", benchtime, "-test.timeout", max(limit-panicMargin, panicMargin).String())
	cmd.Dir = b.dir
	cmd.Env = append(os.Environ(), "QUIC_GO_DISABLE_RECEIVE_BUFFER_WARNING=true")
	cmd.WaitDelay = 5 * time.Second
	var out, errOut bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &errOut
	err := cmd.Run()
	if err != nil {
		if p := panicSummary(out.Bytes(), errOut.Bytes()); p != "" {
			err = fmt.Errorf("%w: %s", err, p)
		}
	}
	return out.Bytes(), err
}

// panicSummary is a failed test binary's panic line and the first frame of
// the first goroutine trace after it, or "".
func panicSummary(outs ...[]byte) string {
	for _, o := range outs {
		lines := strings.Split(string(o), "\n")
		for i, l := range lines {
			if !strings.HasPrefix(l, "panic: ") {
				continue
			}
			sum := l
			for _, f := range lines[i+1:] {
				if strings.HasPrefix(f, "\t") && strings.Contains(f, "_test.go:") {
					return sum + " at " + strings.TrimSpace(f)
				}
			}
			return sum
		}
	}
	return ""
}

// sampleBenchtime is the -benchtime of a leaf's next sample: the duration
// for its first one, then the iteration count go test chose for it, so that
// later samples time the same work without go test's ramp-up runs, which
// keeps the two halves of a pair closer in time.
func sampleBenchtime(earlier []Sample, benchtime string) string {
	if len(earlier) == 0 || earlier[0].N < 1 || !strings.HasSuffix(benchtime, "s") {
		return benchtime
	}
	return strconv.Itoa(earlier[0].N) + "x"
}

// leafPattern is the -bench pattern matching exactly one benchmark leaf.
func leafPattern(name string) string {
	segs := strings.Split(name, "/")
	for i, s := range segs {
		segs[i] = "^" + regexp.QuoteMeta(s) + "$"
	}
	return strings.Join(segs, "/")
}

var benchLine = regexp.MustCompile(`^(Benchmark\S+?)(?:-\d+)?\s+(\d+)\s+(.*)$`)

type line struct {
	name   string
	sample Sample
}

// parseLines reads `go test -bench` output, one entry per result line.
func parseLines(out []byte) []line {
	var ls []line
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		m := benchLine.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		s := Sample{}
		f := strings.Fields(m[3])
		for i := 0; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				continue
			}
			switch unit := f[i+1]; unit {
			case "ns/op":
				s.NsPerOp = v
			case "B/op":
				s.BytesOp = v
			case "allocs/op":
				s.AllocsOp = v
			case "MB/s":
			default:
				if s.Metrics == nil {
					s.Metrics = map[string]float64{}
				}
				s.Metrics[unit] = v
			}
		}
		s.N, _ = strconv.Atoi(m[2])
		ls = append(ls, line{name: m[1], sample: s})
	}
	return ls
}

// implSegment finds which path segment of a benchmark name names the
// implementation, and returns the case name with that segment replaced by "*".
func implSegment(name string, names []string) (impl, key string, ok bool) {
	segs := strings.Split(name, "/")
	for i, s := range segs {
		if slices.Contains(names, s) {
			k := slices.Clone(segs)
			k[i] = "*"
			return s, strings.Join(k, "/"), true
		}
	}
	return "", "", false
}

// groupLeaves groups benchmark leaves by case, keeping the cases that have
// both one of ours and a baseline.
func groupLeaves(pkg string, names []string) []*Group {
	var groups []*Group
	byKey := map[string]*Group{}
	for _, n := range names {
		_, key, ok := implSegment(n, oursNames)
		if !ok {
			_, key, ok = implSegment(n, baselineNames)
		}
		if !ok {
			continue
		}
		g := byKey[key]
		if g == nil {
			g = &Group{Package: pkg, Key: key, Samples: map[string][]Sample{}}
			byKey[key] = g
			groups = append(groups, g)
		}
		if !slices.Contains(g.Members, n) {
			g.Members = append(g.Members, n)
		}
	}
	return slices.DeleteFunc(groups, func(g *Group) bool {
		var ours, base bool
		for _, m := range g.Members {
			_, _, o := implSegment(m, oursNames)
			ours = ours || o
			base = base || !o
		}
		return !ours || !base
	})
}

// roundOrder is the order a group's members run in round r: forward, then
// backward, so that no implementation always runs first.
func roundOrder(members []string, r int) []string {
	s := slices.Clone(members)
	if r%2 == 1 {
		slices.Reverse(s)
	}
	return s
}

// runFunc measures one leaf of a group once.
type runFunc func(ctx context.Context, g *Group, leaf string) (Sample, error)

// collect runs rounds over every group until each has opt.MinPairs rounds
// and its rows' spread is narrower than opt.Settle, or it has opt.MaxPairs
// rounds, or ctx ends. A failed sample is left out; the members' samples of
// one round carry that round's number, which is what pairs them.
func collect(ctx context.Context, groups []*Group, opt Options, run runFunc, progress func(round, active int)) error {
	seq := 0
	for r := 0; r < opt.MaxPairs; r++ {
		var active []*Group
		for _, g := range groups {
			if r >= opt.MinPairs && groupSettled(g, opt.Settle) {
				g.Settled = true
				continue
			}
			active = append(active, g)
		}
		if len(active) == 0 {
			return nil
		}
		if progress != nil {
			progress(r, len(active))
		}
		for _, g := range active {
			for _, leaf := range roundOrder(g.Members, r) {
				if err := ctx.Err(); err != nil {
					return fmt.Errorf("stopped in round %d: %w", r+1, err)
				}
				s, err := run(ctx, g, leaf)
				if err != nil {
					log.Printf("ppbench: %s %s round %d: %v", g.Package, leaf, r+1, err)
					continue
				}
				s.Round, s.Seq = r, seq
				seq++
				g.Samples[leaf] = append(g.Samples[leaf], s)
			}
			g.Rounds = r + 1
		}
	}
	return nil
}

// groupSettled reports whether every row of g has a middle half narrower
// than settle times its median.
func groupSettled(g *Group, settle float64) bool {
	for _, r := range groupRows(g, math.Inf(1)) {
		if len(r.Ratios) < 2 || relSpread(r) > settle {
			return false
		}
	}
	return true
}

func relSpread(r Row) float64 {
	if r.Ratio == 0 {
		return math.Inf(1)
	}
	return (r.Q3 - r.Q1) / r.Ratio
}

// pairRatios pairs the samples of ours and base by round and returns each
// pair's base_ns / ours_ns, in time order.
func pairRatios(ours, base []Sample) []float64 {
	byRound := map[int]Sample{}
	for _, s := range base {
		byRound[s.Round] = s
	}
	var rs []float64
	for _, o := range ours {
		b, ok := byRound[o.Round]
		if !ok || o.NsPerOp <= 0 || b.NsPerOp <= 0 {
			continue
		}
		rs = append(rs, b.NsPerOp/o.NsPerOp)
	}
	return rs
}

// quantile is the q-quantile of vs with linear interpolation between
// closest ranks (vs need not be sorted; NaN when empty).
func quantile(vs []float64, q float64) float64 {
	if len(vs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(vs)
	sort.Float64s(s)
	pos := q * float64(len(s)-1)
	i := int(pos)
	if i >= len(s)-1 {
		return s[len(s)-1]
	}
	return s[i] + (pos-float64(i))*(s[i+1]-s[i])
}

func median(vs []float64) float64 { return quantile(vs, 0.5) }

func field(ss []Sample, f func(Sample) float64) []float64 {
	vs := make([]float64, len(ss))
	for i, s := range ss {
		vs[i] = f(s)
	}
	return vs
}

// groupRows compares each of ours in g with each baseline in g.
func groupRows(g *Group, wide float64) []Row {
	var out []Row
	for _, o := range g.Members {
		impl, _, ok := implSegment(o, oursNames)
		if !ok {
			continue
		}
		for _, b := range g.Members {
			base, _, ok := implSegment(b, baselineNames)
			if !ok {
				continue
			}
			ours, bases := g.Samples[o], g.Samples[b]
			rs := pairRatios(ours, bases)
			if len(rs) == 0 {
				continue
			}
			r := Row{
				Package: g.Package, Case: strings.TrimPrefix(g.Key, "Benchmark"), Ours: impl, Baseline: base,
				OursNs:    median(field(ours, func(s Sample) float64 { return s.NsPerOp })),
				BaseNs:    median(field(bases, func(s Sample) float64 { return s.NsPerOp })),
				OursAlloc: median(field(ours, func(s Sample) float64 { return s.AllocsOp })),
				BaseAlloc: median(field(bases, func(s Sample) float64 { return s.AllocsOp })),
				Ratio:     median(rs), Q1: quantile(rs, 0.25), Q3: quantile(rs, 0.75), Ratios: rs,
			}
			r.Wide = len(rs) < 3 || relSpread(r) > wide
			out = append(out, r)
		}
	}
	return out
}

func rows(groups []*Group, wide float64) []Row {
	var out []Row
	for _, g := range groups {
		out = append(out, groupRows(g, wide)...)
	}
	return out
}

func markdown(rep Report) string {
	o := rep.Options
	var b strings.Builder
	took := "the run took " + o.Elapsed
	if o.Merged > 1 {
		took = fmt.Sprintf("%d runs of up to %s each, merged", o.Merged, o.Elapsed)
	}
	fmt.Fprintf(&b, "Measured %s with `go run ./cmd/ppbench` (%s, loopback, 2 cores): each row is %d–%d pairs of separate -benchtime %s runs of packetpeer and the baseline, back to back, alternating which goes first; %s.\n",
		strings.SplitN(o.Started, "T", 2)[0], o.GoVersion, o.MinPairs, o.MaxPairs, o.Benchtime, took)
	b.WriteString("Ratio = baseline time ÷ packetpeer time for the same work, median over the pairs: above 1.00 packetpeer is faster. ")
	fmt.Fprintf(&b, "Middle half = the pairs' ratios from first to third quartile; ⚠ marks a row where it is wider than %.0f%% of the ratio, too wide to conclude from this run.\n\n", 100*o.Wide)
	b.WriteString("| package | case | ours | vs | ours ns/op | baseline ns/op | ratio | middle half | pairs | allocs/op (ours / baseline) |\n")
	b.WriteString("|---|---|---|---|---:|---:|---:|---|---:|---|\n")
	for _, r := range rep.Rows {
		mark := ""
		if r.Wide {
			mark = " ⚠"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %.2f | %.2f–%.2f%s | %d | %g / %g |\n",
			strings.TrimPrefix(r.Package, "./"), r.Case, r.Ours, r.Baseline, human(r.OursNs), human(r.BaseNs),
			r.Ratio, r.Q1, r.Q3, mark, len(r.Ratios), r.OursAlloc, r.BaseAlloc)
	}
	return b.String()
}

func human(ns float64) string {
	switch {
	case ns >= 1e6:
		return fmt.Sprintf("%.2fms", ns/1e6)
	case ns >= 1e3:
		return fmt.Sprintf("%.2fµs", ns/1e3)
	}
	return fmt.Sprintf("%.0f", ns)
}

const startMark, endMark = "<!-- bench:start -->", "<!-- bench:end -->"

func replaceSection(path, table string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	s := string(b)
	i, j := strings.Index(s, startMark), strings.Index(s, endMark)
	if i < 0 || j < i {
		return fmt.Errorf("%s has no %s ... %s section", path, startMark, endMark)
	}
	s = s[:i+len(startMark)] + "\n" + table + s[j:]
	return os.WriteFile(path, []byte(s), 0o644)
}
