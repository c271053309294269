package variant

import (
	"fmt"
	"runtime"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// rawDict encodes an untyped Dictionary whose String keys are written as
// given (no checks), each mapped to its position.
func rawDict(keys ...string) []byte {
	b := appendU32(appendU32(nil, uint32(TypeDictionary)), uint32(len(keys)))
	for i, k := range keys {
		b = appendU32(appendU32(b, uint32(TypeString)), uint32(len(k)))
		b = pad(append(b, k...), len(k))
		b = appendInt(b, int64(i))
	}
	return b
}

func TestDecodedKeysDoNotAliasInput(t *testing.T) {
	in := rawDict("alpha", "beta")
	v, _, err := Decode(in)
	require.NoError(t, err)
	for i := range in {
		in[i] = 'x'
	}
	require.Equal(t, `{"alpha": 0, "beta": 1}`, Format(v))
	// A later decode of other bytes in the same slots sees its own keys.
	v, _, err = Decode(rawDict("alphA", "betA"))
	require.NoError(t, err)
	require.Equal(t, `{"alphA": 0, "betA": 1}`, Format(v))
}

func TestDecodedKeysTrimmedAsGodot(t *testing.T) {
	// A BOM is dropped and a NUL ends the key, as for any String; such keys
	// are never stored in the intern table, so the plain key still decodes
	// as itself afterwards.
	v, _, err := Decode(rawDict("\ufeffid", "hp\x00junk", "", "id"))
	require.NoError(t, err)
	d := v.(*Dictionary)
	require.Equal(t, []any{"id", "hp", ""}, d.Keys(), "the BOM key and the plain key are one key")
	got, _ := d.Get("id")
	require.Equal(t, int64(3), got)
	v, _, err = Decode(rawDict("hp"))
	require.NoError(t, err)
	require.Equal(t, `{"hp": 0}`, Format(v))

	_, _, err = Decode(rawDict("bad\xffutf8"))
	require.ErrorIs(t, err, ErrInvalidData)
}

func TestDecodedKeysHashCollisions(t *testing.T) {
	// Same length, same first and last eight bytes: bytesHash collides, so
	// both share one intern slot and the small-dictionary duplicate check
	// falls back to comparing the keys.
	a, b := "abcdefgh-1-12345678", "abcdefgh-2-12345678"
	require.Equal(t, bytesHash([]byte(a)), bytesHash([]byte(b)))
	for range 3 {
		v, _, err := Decode(rawDict(a, b, a))
		require.NoError(t, err)
		d := v.(*Dictionary)
		require.Equal(t, []any{a, b}, d.Keys())
		got, _ := d.Get(a)
		require.Equal(t, int64(2), got)
	}
}

func TestDecodedKeysConcurrent(t *testing.T) {
	// Goroutines decoding different keys that share slots each get their
	// own keys (run with -race).
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 8 {
		wg.Go(func() {
			for i := range 300 {
				k := fmt.Sprintf("k%d_%d", g, i%40)
				v, _, err := Decode(rawDict(k, "shared"))
				if err == nil && Format(v) != `{"`+k+`": 0, "shared": 1}` {
					err = fmt.Errorf("decoded %s for key %s", Format(v), k)
				}
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

func TestInternTableBounded(t *testing.T) {
	// Many distinct keys replace slots; the table never grows.
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for i := range 20000 {
		_, _, err := Decode(rawDict(fmt.Sprintf("key-%d", i)))
		require.NoError(t, err)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	require.Less(t, int64(after.HeapAlloc)-int64(before.HeapAlloc), int64(internSlots*256))
}

func TestSlabChunksGrow(t *testing.T) {
	// Messages unlike the typical one (many strings, many small arrays,
	// many boxed numbers) overflow the first chunks and still decode
	// exactly.
	strs := make([]any, 300)
	lists := make([]any, 50)
	nums := make([]any, 300)
	for i := range strs {
		strs[i] = fmt.Sprintf("s%03d", i)
		nums[i] = int64(1000 + i)
	}
	for i := range lists {
		lists[i] = []any{int64(i), Vector2{float64(i), 1}}
	}
	for _, v := range []any{strs, lists, nums, []any{strs, lists, nums}} {
		b, err := Marshal(v)
		require.NoError(t, err)
		got, n, err := Decode(b)
		require.NoError(t, err)
		require.Equal(t, len(b), n)
		require.True(t, Equal(v, got))
	}
}
