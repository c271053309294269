package variant

import (
	"bytes"
	"encoding/gob"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

// gameMsg is the Go struct equivalent of gameMessage, for encoding/json and
// encoding/gob.
type gameMsg struct {
	ID    int64
	Type  string
	Name  string
	Pos   Vector2
	Vel   Vector2
	Aim   Vector3
	HP    int64
	Alive bool
	Seq   int64
	Tags  []string
}

func gameStruct() gameMsg {
	return gameMsg{ID: 4242, Type: "move", Name: "player_one", Pos: Vector2{120.5, -33.25}, Vel: Vector2{1.5, 0},
		Aim: Vector3{0, 1, 0.5}, HP: 87, Alive: true, Seq: 1 << 40, Tags: []string{"red", "team2", "vip"}}
}

// gameMessage is a typical game message: a Dictionary of 10 fields.
func gameMessage() *Dictionary {
	s := gameStruct()
	return NewDictionary(
		"id", s.ID, "type", s.Type, "name", s.Name, "pos", s.Pos, "vel", s.Vel, "aim", s.Aim,
		"hp", s.HP, "alive", s.Alive, "seq", s.Seq, "tags", []any{"red", "team2", "vip"},
	)
}

func TestAppendGameMessageZeroAllocs(t *testing.T) {
	msg := gameMessage()
	buf := make([]byte, 0, 512)
	allocs := testing.AllocsPerRun(100, func() {
		var err error
		buf, err = Append(buf[:0], msg)
		if err != nil {
			t.Fatal(err)
		}
	})
	require.Zero(t, allocs)
	var floats any = make([]float32, 1000) // boxed once: slice→any allocates
	buf = make([]byte, 0, 8192)
	allocs = testing.AllocsPerRun(100, func() { buf, _ = Append(buf[:0], floats) })
	require.Zero(t, allocs)
}

func BenchmarkGameMessage(b *testing.B) {
	msg := gameMessage()
	st := gameStruct()
	enc, err := Marshal(msg)
	require.NoError(b, err)
	jsonData, err := json.Marshal(&st)
	require.NoError(b, err)

	b.Run("Encode/variant", func(b *testing.B) {
		buf := make([]byte, 0, 512)
		b.SetBytes(int64(len(enc)))
		for b.Loop() {
			buf, _ = Append(buf[:0], msg)
		}
	})
	b.Run("Encode/variant-struct", func(b *testing.B) {
		buf := make([]byte, 0, 512)
		for b.Loop() {
			buf, _ = Append(buf[:0], &st)
		}
	})
	b.Run("Encode/json", func(b *testing.B) {
		for b.Loop() {
			_, _ = json.Marshal(&st)
		}
	})
	b.Run("Encode/gob-stream", func(b *testing.B) {
		var buf bytes.Buffer
		e := gob.NewEncoder(&buf)
		for b.Loop() {
			buf.Reset()
			_ = e.Encode(&st)
		}
	})
	b.Run("Encode/gob-fresh", func(b *testing.B) {
		var buf bytes.Buffer
		for b.Loop() {
			buf.Reset()
			_ = gob.NewEncoder(&buf).Encode(&st)
		}
	})

	b.Run("Decode/variant", func(b *testing.B) {
		b.SetBytes(int64(len(enc)))
		for b.Loop() {
			_, _, _ = Decode(enc)
		}
	})
	b.Run("Decode/variant-struct", func(b *testing.B) {
		for b.Loop() {
			var out gameMsg
			_ = Unmarshal(enc, &out)
		}
	})
	b.Run("Decode/variant-struct-viaany", func(b *testing.B) {
		// The previous Unmarshal: Decode into any, then Assign.
		for b.Loop() {
			var out gameMsg
			_ = DecodeOptions{}.unmarshalViaAny(enc, &out)
		}
	})
	b.Run("Decode/json", func(b *testing.B) {
		for b.Loop() {
			var out gameMsg
			_ = json.Unmarshal(jsonData, &out)
		}
	})
	b.Run("Decode/gob-stream", func(b *testing.B) {
		// One type definition, then 1000 messages; decoders are recreated
		// once per 1000 messages.
		const per = 1000
		var stream bytes.Buffer
		e := gob.NewEncoder(&stream)
		for range per {
			require.NoError(b, e.Encode(&st))
		}
		data := stream.Bytes()
		r := bytes.NewReader(data)
		d := gob.NewDecoder(r)
		i := 0
		for b.Loop() {
			if i == per {
				r.Reset(data)
				d = gob.NewDecoder(r)
				i = 0
			}
			var out gameMsg
			_ = d.Decode(&out)
			i++
		}
	})
	b.Run("Decode/gob-fresh", func(b *testing.B) {
		var buf bytes.Buffer
		require.NoError(b, gob.NewEncoder(&buf).Encode(&st))
		data := buf.Bytes()
		for b.Loop() {
			var out gameMsg
			_ = gob.NewDecoder(bytes.NewReader(data)).Decode(&out)
		}
	})
}

func BenchmarkPackedFloat32(b *testing.B) {
	const n = 1 << 20
	floats := make([]float32, n)
	for i := range floats {
		floats[i] = float32(i) * 0.5
	}
	enc, err := Marshal(floats)
	require.NoError(b, err)
	raw := byteView(floats)
	jsonData, _ := json.Marshal(floats)
	var gobBuf bytes.Buffer
	require.NoError(b, gob.NewEncoder(&gobBuf).Encode(floats))
	gobData := gobBuf.Bytes()

	b.Run("Encode/variant", func(b *testing.B) {
		buf := make([]byte, 0, len(enc))
		var v any = floats // box once, as a caller holding an any would
		b.SetBytes(int64(len(enc)))
		for b.Loop() {
			buf, _ = Append(buf[:0], v)
		}
	})
	b.Run("Encode/copy", func(b *testing.B) {
		buf := make([]byte, len(raw))
		b.SetBytes(int64(len(raw)))
		for b.Loop() {
			copy(buf, raw)
		}
	})
	b.Run("Encode/json", func(b *testing.B) {
		for b.Loop() {
			_, _ = json.Marshal(floats)
		}
	})
	b.Run("Encode/gob", func(b *testing.B) {
		var buf bytes.Buffer
		for b.Loop() {
			buf.Reset()
			_ = gob.NewEncoder(&buf).Encode(floats)
		}
	})
	b.Run("Decode/variant", func(b *testing.B) {
		b.SetBytes(int64(len(enc)))
		for b.Loop() {
			_, _, _ = Decode(enc)
		}
	})
	b.Run("Decode/copy", func(b *testing.B) {
		// Baseline: allocate the slice and copy the bytes into it.
		b.SetBytes(int64(len(raw)))
		for b.Loop() {
			out := make([]float32, n)
			copy(byteView(out), raw)
		}
	})
	b.Run("Decode/json", func(b *testing.B) {
		for b.Loop() {
			var out []float32
			_ = json.Unmarshal(jsonData, &out)
		}
	})
	b.Run("Decode/gob", func(b *testing.B) {
		for b.Loop() {
			var out []float32
			_ = gob.NewDecoder(bytes.NewReader(gobData)).Decode(&out)
		}
	})
}
