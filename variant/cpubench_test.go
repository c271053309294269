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
		f    func() error
	}{
		{"GameMessage/Encode/variant", func() (err error) { buf, err = Append(buf[:0], msg); return }},
		{"GameMessage/Encode/variant-struct", func() (err error) { buf, err = Append(buf[:0], &st); return }},
		{"GameMessage/Encode/json", func() error { _, err := json.Marshal(&st); return err }},
		{"GameMessage/Encode/gob-stream", func() error { sbuf.Reset(); return sge.Encode(&st) }},
		{"GameMessage/Encode/gob-fresh", func() error { sbuf.Reset(); return gob.NewEncoder(&sbuf).Encode(&st) }},
		{"GameMessage/Decode/variant", func() error { _, _, err := Decode(enc); return err }},
		{"GameMessage/Decode/variant-struct", func() error { var out gameMsg; return Unmarshal(enc, &out) }},
		{"GameMessage/Decode/variant-struct-viaany", func() error { var out gameMsg; return DecodeOptions{}.unmarshalViaAny(enc, &out) }},
		{"GameMessage/Decode/json", func() error { var out gameMsg; return json.Unmarshal(jsonData, &out) }},
		{"GameMessage/Decode/gob-stream", func() error {
			if gi == 1000 {
				r.Reset(gobStreamData)
				gd = gob.NewDecoder(r)
				gi = 0
			}
			var out gameMsg
			gi++
			return gd.Decode(&out)
		}},
		{"GameMessage/Decode/gob-fresh", func() error {
			var out gameMsg
			return gob.NewDecoder(bytes.NewReader(gobOneData)).Decode(&out)
		}},
		{"PackedFloat32/Encode/variant", func() (err error) { big, err = Append(big[:0], floatsAny); return }},
		{"PackedFloat32/Encode/copy", func() error { copy(cp, raw); return nil }},
		{"PackedFloat32/Encode/json", func() error { _, err := json.Marshal(floats); return err }},
		{"PackedFloat32/Encode/gob", func() error { sbuf.Reset(); return gob.NewEncoder(&sbuf).Encode(floats) }},
		{"PackedFloat32/Decode/variant", func() error { _, _, err := Decode(fenc); return err }},
		{"PackedFloat32/Decode/copy", func() error { out := make([]float32, n); copy(byteView(out), raw); return nil }},
		{"PackedFloat32/Decode/json", func() error { var out []float32; return json.Unmarshal(fjson, &out) }},
		{"PackedFloat32/Decode/gob", func() error {
			var out []float32
			return gob.NewDecoder(bytes.NewReader(fgobData)).Decode(&out)
		}},
	}
	// The decoders must give back what was encoded, or the table times
	// failures.
	if v, _, err := Decode(enc); err != nil || !Equal(v, msg) {
		t.Fatalf("Decode(Marshal(gameMessage)) = %v, %v", v, err)
	}
	if v, _, err := Decode(fenc); err != nil || !Equal(v, floats) {
		t.Fatalf("Decode(Marshal(floats)) differs: %v", err)
	}
	filter := os.Getenv("VARIANT_CPUBENCH")
	measured := 0
	for round := 0; round < 3; round++ {
		for _, c := range cases {
			if filter != "1" && !strings.Contains(c.name, filter) {
				continue
			}
			dd := d
			if c.name == "PackedFloat32/Encode/json" || c.name == "PackedFloat32/Decode/json" || c.name == "PackedFloat32/Decode/gob" || c.name == "PackedFloat32/Encode/gob" {
				dd = d / 2
			}
			var failed error
			per, allocs := measureCPU(dd, func() {
				if err := c.f(); err != nil && failed == nil {
					failed = err
				}
			})
			if failed != nil {
				t.Fatalf("%s: %v", c.name, failed)
			}
			if per <= 0 {
				t.Fatalf("%s: measured %v of CPU per call", c.name, per)
			}
			fmt.Printf("CPU %s %d %.1f\n", c.name, per.Nanoseconds(), allocs)
			measured++
		}
	}
	if measured == 0 {
		t.Fatalf("VARIANT_CPUBENCH=%q matches no case", filter)
	}
}
