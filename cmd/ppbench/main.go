// Command ppbench measures packetpeer next to the raw libraries it wraps and
// prints one table of ratios. It is what `make bench-report` runs.
//
// It runs the benchmarks of every transport package and of the variant codec
// with `go test -bench -benchmem -count N` (each benchmark's raw and SDK
// variants are sub-benchmarks of one function, so repetitions interleave
// them), keeps the median of each row, pairs every "sdk" row with its "raw"
// twin (and variant's rows with encoding/json, encoding/gob and copy), and
// reports the ratio baseline_ns / ours_ns: above 1 means packetpeer does the
// same work faster. Loopback only; bounded by -timeout.
//
//	go run ./cmd/ppbench                      # table on stdout, bench-report.json
//	go run ./cmd/ppbench -readme README.md    # also refresh the README section
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/exec"
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
	"./transport/dtls", "./transport/quic", "./transport/webrtc",
}

// Our implementation's name segment, and the baselines it is compared with.
var (
	oursNames     = []string{"sdk", "variant", "variant-struct"}
	baselineNames = []string{"raw", "json", "gob", "gob-stream", "gob-fresh", "copy"}
)

// Row is one benchmark's median over the repetitions.
type Row struct {
	Package  string             `json:"package"`
	Name     string             `json:"name"`
	NsPerOp  float64            `json:"ns_per_op"`
	MBPerSec float64            `json:"mb_per_s,omitempty"`
	BytesOp  float64            `json:"bytes_per_op"`
	AllocsOp float64            `json:"allocs_per_op"`
	Metrics  map[string]float64 `json:"metrics,omitempty"`
	Samples  int                `json:"samples"`
}

// Pair compares our row with one baseline row doing the same work.
type Pair struct {
	Package   string  `json:"package"`
	Case      string  `json:"case"`
	Ours      string  `json:"ours"`
	Baseline  string  `json:"baseline"`
	OursNs    float64 `json:"ours_ns_per_op"`
	BaseNs    float64 `json:"baseline_ns_per_op"`
	Ratio     float64 `json:"ratio"` // baseline_ns / ours_ns: >1 = faster than the baseline
	OursAlloc float64 `json:"ours_allocs_per_op"`
	BaseAlloc float64 `json:"baseline_allocs_per_op"`
}

// Report is what -json writes.
type Report struct {
	Date      time.Time `json:"date"`
	GoVersion string    `json:"go_version"`
	Count     int       `json:"count"`
	Benchtime string    `json:"benchtime"`
	Rows      []Row     `json:"rows"`
	Pairs     []Pair    `json:"pairs"`
}

func main() {
	count := flag.Int("count", 3, "repetitions of each benchmark (medians are reported)")
	benchtime := flag.String("benchtime", "100ms", "go test -benchtime for each benchmark")
	perPkg := flag.Duration("pkg-timeout", 75*time.Second, "bound on each package's run")
	timeout := flag.Duration("timeout", 5*time.Minute, "bound on the whole run")
	jsonOut := flag.String("json", "bench-report.json", "write the full report here ('' to skip)")
	readme := flag.String("readme", "", "refresh the section between <!-- bench:start --> and <!-- bench:end --> in this file")
	pkgs := flag.String("pkgs", strings.Join(defaultPackages, ","), "comma-separated packages")
	bench := flag.String("bench", ".", "go test -bench pattern")
	flag.Parse()

	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	rep := Report{Date: time.Now().UTC(), Count: *count, Benchtime: *benchtime}
	if out, err := exec.Command("go", "env", "GOVERSION").Output(); err == nil {
		rep.GoVersion = strings.TrimSpace(string(out))
	}
	for _, pkg := range strings.Split(*pkgs, ",") {
		fmt.Fprintf(os.Stderr, "ppbench: %s\n", pkg)
		pctx, pcancel := context.WithTimeout(ctx, *perPkg)
		out, err := runBench(pctx, pkg, *bench, *count, *benchtime)
		pcancel()
		if err != nil {
			log.Printf("ppbench: %s: %v (rows so far are kept)", pkg, err)
		}
		rep.Rows = append(rep.Rows, parse(pkg, out)...)
	}
	rep.Pairs = pairRows(rep.Rows)
	table := markdown(rep)
	fmt.Print(table)
	if *jsonOut != "" {
		b, _ := json.MarshalIndent(rep, "", "  ")
		if err := os.WriteFile(*jsonOut, append(b, '\n'), 0o644); err != nil {
			log.Fatal(err)
		}
	}
	if *readme != "" {
		if err := replaceSection(*readme, table); err != nil {
			log.Fatal(err)
		}
	}
}

func runBench(ctx context.Context, pkg, pattern string, count int, benchtime string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, "go", "test", "-run", "^$", "-bench", pattern, "-benchmem",
		"-count", strconv.Itoa(count), "-benchtime", benchtime, "-timeout", "10m", pkg)
	cmd.Env = append(os.Environ(), "QUIC_GO_DISABLE_RECEIVE_BUFFER_WARNING=true")
	cmd.WaitDelay = 5 * time.Second // the test binary is go test's child: do not wait on its pipes forever
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = io.Discard
	err := cmd.Run()
	return out.Bytes(), err
}

var benchLine = regexp.MustCompile(`^(Benchmark\S+?)(?:-\d+)?\s+(\d+)\s+(.*)$`)

// parse reads `go test -bench` output and returns one Row per benchmark name
// with the median of each measurement.
func parse(pkg string, out []byte) []Row {
	type acc struct {
		vals map[string][]float64
		n    int
	}
	byName := map[string]*acc{}
	var order []string
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		m := benchLine.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		name := m[1]
		a := byName[name]
		if a == nil {
			a = &acc{vals: map[string][]float64{}}
			byName[name] = a
			order = append(order, name)
		}
		a.n++
		f := strings.Fields(m[3])
		for i := 0; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				continue
			}
			a.vals[f[i+1]] = append(a.vals[f[i+1]], v)
		}
	}
	var rows []Row
	for _, name := range order {
		a := byName[name]
		r := Row{Package: pkg, Name: name, Samples: a.n, Metrics: map[string]float64{}}
		for unit, vs := range a.vals {
			v := median(vs)
			switch unit {
			case "ns/op":
				r.NsPerOp = v
			case "MB/s":
				r.MBPerSec = v
			case "B/op":
				r.BytesOp = v
			case "allocs/op":
				r.AllocsOp = v
			default:
				r.Metrics[unit] = v
			}
		}
		if len(r.Metrics) == 0 {
			r.Metrics = nil
		}
		rows = append(rows, r)
	}
	return rows
}

func median(vs []float64) float64 {
	s := slices.Clone(vs)
	sort.Float64s(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
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

func pairRows(rows []Row) []Pair {
	var pairs []Pair
	for _, o := range rows {
		impl, key, ok := implSegment(o.Name, oursNames)
		if !ok || o.NsPerOp == 0 {
			continue
		}
		for _, r := range rows {
			base, rkey, ok := implSegment(r.Name, baselineNames)
			if !ok || r.Package != o.Package || rkey != key || r.NsPerOp == 0 {
				continue
			}
			pairs = append(pairs, Pair{
				Package: o.Package, Case: strings.TrimPrefix(key, "Benchmark"), Ours: impl, Baseline: base,
				OursNs: o.NsPerOp, BaseNs: r.NsPerOp, Ratio: r.NsPerOp / o.NsPerOp,
				OursAlloc: o.AllocsOp, BaseAlloc: r.AllocsOp,
			})
		}
	}
	return pairs
}

func markdown(rep Report) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Measured %s with `go run ./cmd/ppbench` (%s, median of %d interleaved runs, -benchtime %s, loopback, 2 cores).\n",
		rep.Date.Format("2006-01-02"), rep.GoVersion, rep.Count, rep.Benchtime)
	b.WriteString("Ratio = baseline time ÷ packetpeer time for the same work: above 1.00 packetpeer is faster.\n\n")
	b.WriteString("| package | case | ours | vs | ours ns/op | baseline ns/op | ratio | allocs/op (ours / baseline) |\n")
	b.WriteString("|---|---|---|---|---:|---:|---:|---|\n")
	for _, p := range rep.Pairs {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %.2f | %g / %g |\n",
			strings.TrimPrefix(p.Package, "./"), p.Case, p.Ours, p.Baseline, human(p.OursNs), human(p.BaseNs), p.Ratio, p.OursAlloc, p.BaseAlloc)
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
