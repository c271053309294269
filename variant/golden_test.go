package variant

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/packetpeer/packetpeer/internal/godoterr"
)

type vector struct {
	Name      string          `json:"name"`
	Type      string          `json:"type"`
	Value     json.RawMessage `json:"value"`
	Hex       string          `json:"hex"`
	Direction string          `json:"direction"`
	RLen      *int            `json:"r_len"`
	Error     string          `json:"error"`
	Options   struct {
		FullObjects  bool   `json:"full_objects"`
		AllowObjects bool   `json:"allow_objects"`
		RealT        string `json:"real_t"`
	} `json:"options"`
}

func loadVectors(t testing.TB) []vector {
	data, err := os.ReadFile("testdata/godot4-variant.json")
	require.NoError(t, err)
	var vs []vector
	require.NoError(t, json.Unmarshal(data, &vs))
	return vs
}

// kv is one member of a JSON object, kept in document order.
type kv struct {
	key string
	val any
}

// parseJSON parses JSON keeping object member order; numbers stay json.Number.
func parseJSON(t testing.TB, raw []byte) any {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var parse func() any
	parse = func() any {
		tok, err := dec.Token()
		require.NoError(t, err)
		switch x := tok.(type) {
		case json.Delim:
			switch x {
			case '[':
				out := []any{}
				for dec.More() {
					out = append(out, parse())
				}
				_, _ = dec.Token()
				return out
			case '{':
				out := []kv{}
				for dec.More() {
					k, err := dec.Token()
					require.NoError(t, err)
					out = append(out, kv{k.(string), parse()})
				}
				_, _ = dec.Token()
				return out
			}
		}
		return tok
	}
	if len(raw) == 0 {
		return nil
	}
	return parse()
}

func member(t testing.TB, o any, key string) any {
	for _, m := range o.([]kv) {
		if m.key == key {
			return m.val
		}
	}
	t.Fatalf("missing %q in %v", key, o)
	return nil
}

func jInt(t testing.TB, v any) int64 {
	switch x := v.(type) {
	case json.Number:
		i, err := x.Int64()
		require.NoError(t, err)
		return i
	case string:
		if strings.HasPrefix(x, "0x") {
			u, err := strconv.ParseUint(x[2:], 16, 64)
			require.NoError(t, err)
			return int64(u)
		}
		i, err := strconv.ParseInt(x, 10, 64)
		require.NoError(t, err)
		return i
	}
	t.Fatalf("not an int: %#v", v)
	return 0
}

func jFloat(t testing.TB, v any) float64 {
	switch x := v.(type) {
	case json.Number:
		f, err := strconv.ParseFloat(string(x), 64)
		require.NoError(t, err)
		return f
	case string:
		switch x {
		case "NaN":
			return math.Float64frombits(0x7ff8000000000000) // GDScript NAN
		case "+Inf":
			return math.Inf(1)
		case "-Inf":
			return math.Inf(-1)
		}
	}
	t.Fatalf("not a float: %#v", v)
	return 0
}

func jV2(t testing.TB, v any) Vector2 {
	return Vector2{jFloat(t, member(t, v, "x")), jFloat(t, member(t, v, "y"))}
}
func jV3(t testing.TB, v any) Vector3 {
	return Vector3{jFloat(t, member(t, v, "x")), jFloat(t, member(t, v, "y")), jFloat(t, member(t, v, "z"))}
}
func jV4(t testing.TB, v any) Vector4 {
	return Vector4{jFloat(t, member(t, v, "x")), jFloat(t, member(t, v, "y")), jFloat(t, member(t, v, "z")), jFloat(t, member(t, v, "w"))}
}
func jI32(t testing.TB, v any, k string) int32 { return int32(jInt(t, member(t, v, k))) }
func jColor(t testing.TB, v any) Color {
	f := func(k string) float32 { return float32(jFloat(t, member(t, v, k))) }
	return Color{f("r"), f("g"), f("b"), f("a")}
}

// untyped converts plain JSON (inside Array / Dictionary) to Variant values.
func untyped(t testing.TB, v any) any {
	switch x := v.(type) {
	case nil, bool, string:
		return x
	case json.Number:
		if strings.ContainsAny(string(x), ".eE") {
			return jFloat(t, x)
		}
		return jInt(t, x)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = untyped(t, e)
		}
		return out
	case []kv:
		d := &Dictionary{}
		for _, m := range x {
			d.Set(m.key, untyped(t, m.val))
		}
		return d
	}
	t.Fatalf("unexpected JSON %#v", v)
	return nil
}

var testScripts = map[string]string{"MyClass": "res://my_class.gd"}

// containerType parses a type name inside Array[...] or Dictionary[...].
func containerTypeOf(name string, decoding, allowObjects bool) ContainerType {
	if name == "Variant" {
		return ContainerType{}
	}
	for i, n := range typeNames {
		if n == name {
			return ContainerType{Builtin: Type(i)}
		}
	}
	t := ContainerType{Builtin: TypeObject, ClassName: name}
	if s, ok := testScripts[name]; ok {
		t = ContainerType{Builtin: TypeObject, Script: s}
	}
	if decoding && !allowObjects {
		t = ContainerType{Builtin: TypeObject, ClassName: encodedAsID}
	}
	return t
}

// expected builds the Go value a vector describes. decoding selects what the
// decoder yields where it differs from what the encoder takes.
func expected(t testing.TB, vec vector, decoding bool) any {
	v := parseJSON(t, vec.Value)
	typ := vec.Type
	if i := strings.IndexByte(typ, '['); i > 0 && strings.HasSuffix(typ, "]") {
		args := strings.Split(typ[i+1:len(typ)-1], ", ")
		switch typ[:i] {
		case "Array":
			ta := TypedArray{Type: containerTypeOf(args[0], decoding, vec.Options.AllowObjects), Values: []any{}}
			for _, e := range v.([]any) {
				ta.Values = append(ta.Values, typedElem(t, args[0], e))
			}
			return ta
		case "Dictionary":
			d := &Dictionary{
				KeyType:   containerTypeOf(args[0], decoding, vec.Options.AllowObjects),
				ValueType: containerTypeOf(args[1], decoding, vec.Options.AllowObjects),
			}
			fillDict(t, d, v, func(e any) any { return typedElem(t, args[0], e) }, func(e any) any { return typedElem(t, args[1], e) })
			return d
		}
	}
	return typedElem(t, typ, v)
}

func fillDict(t testing.TB, d *Dictionary, v any, key, val func(any) any) {
	members := v.([]kv)
	if len(members) == 1 && members[0].key == "keys_and_values" {
		for _, pair := range members[0].val.([]any) {
			p := pair.([]any)
			d.Set(key(p[0]), val(p[1]))
		}
		return
	}
	for _, m := range members {
		d.Set(key(m.key), val(m.val))
	}
}

func typedElem(t testing.TB, typ string, v any) any {
	switch typ {
	case "Nil":
		return nil
	case "Variant":
		return untyped(t, v)
	case "bool":
		return v.(bool)
	case "int":
		return jInt(t, v)
	case "float":
		return jFloat(t, v)
	case "String":
		return v.(string)
	case "StringName":
		return StringName(v.(string))
	case "Vector2":
		return jV2(t, v)
	case "Vector2i":
		return Vector2i{jI32(t, v, "x"), jI32(t, v, "y")}
	case "Rect2":
		return Rect2{jV2(t, member(t, v, "position")), jV2(t, member(t, v, "size"))}
	case "Rect2i":
		p, s := member(t, v, "position"), member(t, v, "size")
		return Rect2i{Vector2i{jI32(t, p, "x"), jI32(t, p, "y")}, Vector2i{jI32(t, s, "x"), jI32(t, s, "y")}}
	case "Vector3":
		return jV3(t, v)
	case "Vector3i":
		return Vector3i{jI32(t, v, "x"), jI32(t, v, "y"), jI32(t, v, "z")}
	case "Transform2D":
		if v == "IDENTITY" {
			return Transform2D{X: Vector2{1, 0}, Y: Vector2{0, 1}}
		}
		return Transform2D{jV2(t, member(t, v, "x")), jV2(t, member(t, v, "y")), jV2(t, member(t, v, "origin"))}
	case "Vector4":
		return jV4(t, v)
	case "Vector4i":
		return Vector4i{jI32(t, v, "x"), jI32(t, v, "y"), jI32(t, v, "z"), jI32(t, v, "w")}
	case "Plane":
		return Plane{jV3(t, member(t, v, "normal")), jFloat(t, member(t, v, "d"))}
	case "Quaternion":
		return Quaternion(jV4(t, v))
	case "AABB":
		return AABB{jV3(t, member(t, v, "position")), jV3(t, member(t, v, "size"))}
	case "Basis":
		return BasisFromAxes(jV3(t, member(t, v, "x")), jV3(t, member(t, v, "y")), jV3(t, member(t, v, "z")))
	case "Transform3D":
		b := member(t, v, "basis")
		return Transform3D{BasisFromAxes(jV3(t, member(t, b, "x")), jV3(t, member(t, b, "y")), jV3(t, member(t, b, "z"))), jV3(t, member(t, v, "origin"))}
	case "Projection":
		if v == "IDENTITY" {
			return Projection{Columns: [4]Vector4{{1, 0, 0, 0}, {0, 1, 0, 0}, {0, 0, 1, 0}, {0, 0, 0, 1}}}
		}
		var p Projection
		for i, k := range []string{"x", "y", "z", "w"} {
			c := member(t, v, k).([]any)
			p.Columns[i] = Vector4{jFloat(t, c[0]), jFloat(t, c[1]), jFloat(t, c[2]), jFloat(t, c[3])}
		}
		return p
	case "Color":
		return jColor(t, v)
	case "NodePath":
		return ParseNodePath(v.(string))
	case "RID":
		return RID(jInt(t, v))
	case "Object":
		if v == nil {
			return (*Object)(nil)
		}
		members := v.([]kv)
		if members[0].key == "instance_id" {
			return ObjectID(jInt(t, members[0].val))
		}
		o := &Object{Class: member(t, v, "class").(string)}
		for _, p := range member(t, v, "properties").([]kv) {
			o.Properties = append(o.Properties, Property{p.key, untyped(t, p.val)})
		}
		return o
	case "Callable":
		return Callable{}
	case "Signal":
		return Signal{Name: member(t, v, "name").(string), Object: ObjectID(jInt(t, member(t, v, "object_id")))}
	case "Dictionary":
		d := &Dictionary{}
		fillDict(t, d, v, func(e any) any { return untyped(t, e) }, func(e any) any { return untyped(t, e) })
		return d
	case "Array":
		return untyped(t, v)
	case "PackedByteArray":
		out := []byte{}
		for _, e := range v.([]any) {
			out = append(out, byte(jInt(t, e)))
		}
		return out
	case "PackedInt32Array":
		out := []int32{}
		for _, e := range v.([]any) {
			out = append(out, int32(jInt(t, e)))
		}
		return out
	case "PackedInt64Array":
		out := []int64{}
		for _, e := range v.([]any) {
			out = append(out, jInt(t, e))
		}
		return out
	case "PackedFloat32Array":
		out := []float32{}
		for _, e := range v.([]any) {
			out = append(out, float32(jFloat(t, e)))
		}
		return out
	case "PackedFloat64Array":
		out := []float64{}
		for _, e := range v.([]any) {
			out = append(out, jFloat(t, e))
		}
		return out
	case "PackedStringArray":
		out := []string{}
		for _, e := range v.([]any) {
			out = append(out, e.(string))
		}
		return out
	case "PackedVector2Array":
		out := []Vector2{}
		for _, e := range v.([]any) {
			out = append(out, jV2(t, e))
		}
		return out
	case "PackedVector3Array":
		out := []Vector3{}
		for _, e := range v.([]any) {
			out = append(out, jV3(t, e))
		}
		return out
	case "PackedVector4Array":
		out := []Vector4{}
		for _, e := range v.([]any) {
			out = append(out, jV4(t, e))
		}
		return out
	case "PackedColorArray":
		out := []Color{}
		for _, e := range v.([]any) {
			out = append(out, jColor(t, e))
		}
		return out
	}
	t.Fatalf("unknown vector type %q", typ)
	return nil
}

// decodedForm maps an encoder input to what the decoder returns for it.
func decodedForm(v any) any {
	switch x := v.(type) {
	case *Object:
		if x == nil {
			return nil
		}
	case NodePath:
		return x
	}
	return v
}

var errorsByName = map[string]*godoterr.Error{
	"ERR_UNAVAILABLE": ErrUnavailable, "ERR_UNAUTHORIZED": ErrUnauthorized, "ERR_OUT_OF_MEMORY": ErrOutOfMemory,
	"ERR_FILE_EOF": ErrFileEOF, "ERR_INVALID_DATA": ErrInvalidData, "ERR_INVALID_PARAMETER": ErrInvalidParameter, "ERR_BUG": ErrBug,
}

func TestGoldenVectors(t *testing.T) {
	vecs := loadVectors(t)
	require.Len(t, vecs, 145)
	for _, vec := range vecs {
		t.Run(vec.Name, func(t *testing.T) {
			want, err := hex.DecodeString(vec.Hex)
			require.NoError(t, err)
			enc := EncodeOptions{FullObjects: vec.Options.FullObjects, DoublePrecision: vec.Options.RealT == "double"}
			dec := DecodeOptions{AllowObjects: vec.Options.AllowObjects}
			encode := strings.Contains(vec.Direction, "encode")
			decode := strings.Contains(vec.Direction, "decode")

			if strings.HasPrefix(vec.Type, "raw:") {
				testRaw(t, vec, want, encode, decode)
				return
			}
			if vec.Type == "(error)" {
				require.NotEmpty(t, vec.Error)
				v, n, err := dec.Decode(want)
				require.Error(t, err, "decoded %s", Format(v))
				require.ErrorIs(t, err, errorsByName[vec.Error], "got %v", err)
				var ve *Error
				require.True(t, errors.As(err, &ve))
				require.NotEmpty(t, ve.Reason)
				require.GreaterOrEqual(t, ve.Offset, 0)
				require.Zero(t, n)
				return
			}
			if strings.HasPrefix(vec.Type, "framed:") {
				v := untyped(t, parseJSON(t, vec.Value))
				if encode {
					got, err := appendFrame(nil, v, enc)
					require.NoError(t, err)
					require.Equal(t, vec.Hex, hex.EncodeToString(got))
				}
				if decode {
					got, n, err := decodeFrame(want, dec)
					require.NoError(t, err)
					require.True(t, Equal(v, got), "got %s", Format(got))
					require.Equal(t, len(want), n)
				}
				return
			}
			if encode {
				v := expected(t, vec, false)
				got, err := enc.Marshal(v)
				require.NoError(t, err)
				require.Equal(t, vec.Hex, hex.EncodeToString(got), "encoding %s", Format(v))
				// Append to a non-empty buffer gives the same bytes.
				got2, err := enc.Append([]byte{9}, v)
				require.NoError(t, err)
				require.Equal(t, append([]byte{9}, want...), got2)
			}
			if decode {
				wantV := decodedForm(expected(t, vec, true))
				if vec.Type == "Object" && wantV == nil {
					wantV = ObjectID(0) // Godot's null Object (type OBJECT)
				}
				got, n, err := dec.Decode(want)
				require.NoError(t, err)
				require.True(t, Equal(wantV, got), "decoded %s (%T), want %s (%T)", Format(got), got, Format(wantV), wantV)
				if vec.RLen != nil {
					require.Equal(t, *vec.RLen, n)
				} else {
					require.Equal(t, len(want), n)
				}
			}
		})
	}
}

func testRaw(t *testing.T, vec vector, want []byte, encode, decode bool) {
	v := parseJSON(t, vec.Value)
	switch vec.Type {
	case "raw:uint16":
		i := uint16(jInt(t, v))
		if encode {
			require.Equal(t, want, appendU16(nil, i))
		}
		if decode {
			require.Equal(t, i, getU16(want))
		}
	case "raw:uint32":
		i := uint32(jInt(t, v))
		if encode {
			require.Equal(t, want, appendU32(nil, i))
		}
		if decode {
			require.Equal(t, i, getU32(want))
		}
	case "raw:uint64":
		i := uint64(jInt(t, v))
		if encode {
			require.Equal(t, want, appendU64(nil, i))
		}
		if decode {
			require.Equal(t, i, getU64(want))
		}
	case "raw:float16":
		f := float32(jFloat(t, v))
		if encode {
			require.Equal(t, want, appendHalf(nil, f))
		}
		if decode {
			require.InDelta(t, f, halfToFloat(getU16(want)), 1e-7)
		}
	case "raw:float32":
		f := float32(jFloat(t, v))
		if encode {
			require.Equal(t, want, appendF32(nil, f))
		}
		if decode {
			require.Equal(t, f, getF32(want))
		}
	case "raw:float64":
		f := jFloat(t, v)
		if encode {
			require.Equal(t, want, appendF64(nil, f))
		}
		if decode {
			require.Equal(t, f, getF64(want))
		}
	case "raw:cstring":
		require.True(t, encode)
		require.Equal(t, want, appendCString(nil, v.(string)))
	default:
		t.Fatalf("unknown raw type %s", vec.Type)
	}
}
