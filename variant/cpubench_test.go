package variant

import (
	"bytes"
	"encoding/gob"
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

// cpuNow returns the process's user+system CPU time.
func cpuNow() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// measureCPU runs f repeatedly for about d of wall time and returns the CPU
// time per call (including GC work). Unlike ns/op from go test -bench, it
// is not inflated when other processes compete for the CPU.
func measureCPU(d time.Duration, f func()) (time.Duration, float64) {
	t0 := time.Now()
	f()
	batch := max(1, int(10*time.Microsecond/max(time.Since(t0), 1)))
	for range batch {
		f()
	}
	runtime.GC()
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	start, wall := cpuNow(), time.Now()
	n := 0
	for time.Since(wall) < d {
		for range batch {
			f()
		}
		n += batch
	}
	cpu := cpuNow() - start
	runtime.ReadMemStats(&ms1)
	return cpu / time.Duration(n), float64(ms1.Mallocs-ms0.Mallocs) / float64(n)
}

// TestCPUTimeTable prints CPU time per operation for the benchmark payloads
// (set VARIANT_CPUBENCH=1). Used for BENCHMARKS.md on a shared, loaded host.
func TestCPUTimeTable(t *testing.T) {
	if os.Getenv("VARIANT_CPUBENCH") == "" {
		t.Skip("set VARIANT_CPUBENCH=1")
	}
	prev := runtime.GOMAXPROCS(1)
	defer runtime.GOMAXPROCS(prev)
	d := 400 * time.Millisecond
	msg := gameMessage()
	st := gameStruct()
	enc, _ := Marshal(msg)
	jsonData, _ := json.Marshal(&st)
	var gobStream bytes.Buffer
	ge := gob.NewEncoder(&gobStream)
	for range 1000 {
		_ = ge.Encode(&st)
	}
	gobStreamData := gobStream.Bytes()
	var gobOne bytes.Buffer
	_ = gob.NewEncoder(&gobOne).Encode(&st)
	gobOneData := gobOne.Bytes()

	buf := make([]byte, 0, 1024)
	var sbuf bytes.Buffer
	sge := gob.NewEncoder(&sbuf)
	r := bytes.NewReader(gobStreamData)
	gd := gob.NewDecoder(r)
	gi := 0

	const n = 1 << 20
	floats := make([]float32, n)
	for i := range floats {
		floats[i] = float32(i) * 0.5
	}
	var floatsAny any = floats
	fenc, _ := Marshal(floats)
	raw := byteView(floats)
	fjson, _ := json.Marshal(floats)
	var fgob bytes.Buffer
	_ = gob.NewEncoder(&fgob).Encode(floats)
	fgobData := fgob.Bytes()
	big := make([]byte, 0, len(fenc))
	cp := make([]byte, len(raw))

	cases := []struct {
		name string
		f    func()
	}{
		{"GameMessage/Encode/variant", func() { buf, _ = Append(buf[:0], msg) }},
		{"GameMessage/Encode/variant-struct", func() { buf, _ = Append(buf[:0], &st) }},
		{"GameMessage/Encode/json", func() { _, _ = json.Marshal(&st) }},
		{"GameMessage/Encode/gob-stream", func() { sbuf.Reset(); _ = sge.Encode(&st) }},
		{"GameMessage/Encode/gob-fresh", func() { sbuf.Reset(); _ = gob.NewEncoder(&sbuf).Encode(&st) }},
		{"GameMessage/Decode/variant", func() { _, _, _ = Decode(enc) }},
		{"GameMessage/Decode/variant-struct", func() { var out gameMsg; _ = Unmarshal(enc, &out) }},
		{"GameMessage/Decode/variant-struct-viaany", func() { var out gameMsg; _ = DecodeOptions{}.unmarshalViaAny(enc, &out) }},
		{"GameMessage/Decode/json", func() { var out gameMsg; _ = json.Unmarshal(jsonData, &out) }},
		{"GameMessage/Decode/gob-stream", func() {
			if gi == 1000 {
				r.Reset(gobStreamData)
				gd = gob.NewDecoder(r)
				gi = 0
			}
			var out gameMsg
			_ = gd.Decode(&out)
			gi++
		}},
		{"GameMessage/Decode/gob-fresh", func() { var out gameMsg; _ = gob.NewDecoder(bytes.NewReader(gobOneData)).Decode(&out) }},
		{"PackedFloat32/Encode/variant", func() { big, _ = Append(big[:0], floatsAny) }},
		{"PackedFloat32/Encode/copy", func() { copy(cp, raw) }},
		{"PackedFloat32/Encode/json", func() { _, _ = json.Marshal(floats) }},
		{"PackedFloat32/Encode/gob", func() { sbuf.Reset(); _ = gob.NewEncoder(&sbuf).Encode(floats) }},
		{"PackedFloat32/Decode/variant", func() { _, _, _ = Decode(fenc) }},
		{"PackedFloat32/Decode/copy", func() { out := make([]float32, n); copy(byteView(out), raw) }},
		{"PackedFloat32/Decode/json", func() { var out []float32; _ = json.Unmarshal(fjson, &out) }},
		{"PackedFloat32/Decode/gob", func() { var out []float32; _ = gob.NewDecoder(bytes.NewReader(fgobData)).Decode(&out) }},
	}
	filter := os.Getenv("VARIANT_CPUBENCH")
	for round := 0; round < 3; round++ {
		for _, c := range cases {
			if filter != "1" && !strings.Contains(c.name, filter) {
				continue
			}
			dd := d
			if c.name == "PackedFloat32/Encode/json" || c.name == "PackedFloat32/Decode/json" || c.name == "PackedFloat32/Decode/gob" || c.name == "PackedFloat32/Encode/gob" {
				dd = d / 2
			}
			per, allocs := measureCPU(dd, c.f)
			fmt.Printf("CPU %s %d %.1f\n", c.name, per.Nanoseconds(), allocs)
		}
	}
}
