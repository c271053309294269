package wschat

import (
	"context"
	"encoding/hex"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/packetpeer/packetpeer/internal/browsertest"
	"github.com/packetpeer/packetpeer/peer/peertest"
	"github.com/packetpeer/packetpeer/variant"
)

// TestVariantJSMatchesGo checks the page's JavaScript Variant codec
// (web/variant.js) against package variant, byte for byte, in both
// directions, in Chromium (the JavaScript engine the page runs in).
func TestVariantJSMatchesGo(t *testing.T) {
	peertest.CheckGoroutines(t)
	b := browsertest.Launch(t)
	dec := map[string]any{
		"nil":          nil,
		"bool":         true,
		"int":          int64(-7),
		"int64":        int64(1) << 40,
		"float32":      1.5,
		"float64":      0.1,
		"string":       "héllo ✓ 🌍",
		"stringName":   variant.StringName("name"),
		"array":        []any{int64(1), "x", nil},
		"dict":         variant.NewDictionary("type", "welcome", "nick", "a", "members", []string{"a", "bc"}),
		"typedArray":   variant.TypedArray{Type: variant.ContainerType{Builtin: variant.TypeInt}, Values: []any{int64(1), int64(2)}},
		"bytes":        []byte{9, 8, 7},
		"int32s":       []int32{1, -2},
		"float32s":     []float32{0.5},
		"emptyStrings": []string{""},
		"intKeys":      variant.NewDictionary(int64(1), "one"),
		"truncated":    "truncated",
		"unknown":      variant.Vector2{X: 1, Y: 2},
	}
	req := map[string]map[string]string{"decode": {}}
	for name, v := range dec {
		b, err := variant.Marshal(v)
		require.NoError(t, err, name)
		if name == "truncated" {
			b = b[:len(b)-4]
		}
		req["decode"][name] = hex.EncodeToString(b)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	src, err := webFiles.ReadFile("web/variant.js")
	require.NoError(t, err)
	check, err := os.ReadFile("testdata/variant_check.js")
	require.NoError(t, err)
	page := b.NewPage(ctx, "variant")
	require.NoError(t, page.Eval(ctx, nil, "(src) => { (0, eval)(src); }", string(src)))
	var res struct {
		Decoded map[string]any    `json:"decoded"`
		Encoded map[string]string `json:"encoded"`
		Errors  map[string]string `json:"errors"`
	}
	require.NoError(t, page.Eval(ctx, &res, string(check), req))

	// Go → JS.
	want := map[string]any{
		"nil":          nil,
		"bool":         true,
		"int":          -7.0,
		"int64":        float64(int64(1) << 40),
		"float32":      1.5,
		"float64":      0.1,
		"string":       "héllo ✓ 🌍",
		"stringName":   "name",
		"array":        []any{1.0, "x", nil},
		"dict":         map[string]any{"type": "welcome", "nick": "a", "members": []any{"a", "bc"}},
		"typedArray":   []any{1.0, 2.0},
		"bytes":        map[string]any{"bytes": []any{9.0, 8.0, 7.0}},
		"int32s":       []any{1.0, -2.0},
		"float32s":     []any{0.5},
		"emptyStrings": []any{""},
		"intKeys":      map[string]any{"map": []any{[]any{1.0, "one"}}},
	}
	for name, w := range want {
		require.Equal(t, w, res.Decoded[name], "JS decoding of Go's %s", name)
	}
	require.Contains(t, res.Errors["truncated"], "truncated")
	require.Contains(t, res.Errors["unknown"], "unsupported type id 5")

	// JS → Go: the same bytes Go's encoder (Godot-exact) produces.
	enc := map[string]any{
		"nil":         nil,
		"true":        true,
		"false":       false,
		"zero":        int64(0),
		"minus1":      int64(-1),
		"int32max":    int64(2147483647),
		"int32over":   int64(2147483648),
		"int32under":  int64(-2147483649),
		"bigint":      int64(9007199254740993),
		"float32":     1.5,
		"float64":     0.1,
		"forcedFloat": 3.0,
		"empty":       "",
		"utf8":        "héllo ✓ 🌍",
		"array":       []any{int64(1), "x", nil},
		"dict":        variant.NewDictionary("type", "say", "text", "hi", "n", int64(2)),
		"nested":      []any{variant.NewDictionary("a", []any{true, 2.5})},
		"bytes":       []byte{1, 2, 3, 4, 5},
		"mapIntKeys":  variant.NewDictionary(int64(1), "one", int64(2), "two"),
	}
	require.Len(t, res.Encoded, len(enc))
	for name, v := range enc {
		wantBytes, err := variant.Marshal(v)
		require.NoError(t, err, name)
		require.Equal(t, hex.EncodeToString(wantBytes), res.Encoded[name], "JS encoding of %s", name)
	}
}
