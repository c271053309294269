package godottest_test

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/packetpeer/packetpeer/godottest"
	v "github.com/packetpeer/packetpeer/variant"
)

var update = flag.Bool("update", false, "rewrite ../variant/testdata/godot46-live.txt from the live engine")

// parityFile is the committed copy of the engine's output that
// go test ./variant checks without a browser.
const parityFile = "../variant/testdata/godot46-live.txt"

// A parityCase is a value built by a GDScript expression and, when goValue
// is not nil, by Go.
type parityCase struct {
	name string
	gd   string // GDScript expression; the script has `zero` (a float 0.0 at run time) and `node` (a Node named N) in scope
	// gdType, when set, is the static type of a variable that gd is
	// assigned to first (typed Dictionaries have no constructor syntax).
	gdType string
	goVal  any // nil: Godot → Go only
	// nodePath: the encoding holds NodePath names, whose padding Godot
	// leaves uninitialised.
	nodePath bool
	// runDependent: plain var_to_bytes embeds an instance id.
	runDependent bool
}

// exact reports whether Godot's re-encoding of Go's bytes must equal its
// own encoding: not with NodePaths (Godot's own bytes hold random padding)
// nor for NaN (Go's math.NaN and GDScript's NAN differ in payload bits).
func (c parityCase) exact() bool { return !c.nodePath && c.name != "float_nan" }

// goValue is the value Go encodes (nil for goNil).
func (c parityCase) goValue() any {
	if _, ok := c.goVal.(goNil); ok {
		return nil
	}
	return c.goVal
}

type goNil struct{} // the Go value nil, which goVal cannot hold

func typed(t v.Type, vals ...any) v.TypedArray {
	return v.TypedArray{Type: v.ContainerType{Builtin: t}, Values: vals}
}

func typedDict(k, val v.Type, kv ...any) *v.Dictionary {
	d := v.NewDictionary(kv...)
	d.KeyType, d.ValueType = v.ContainerType{Builtin: k}, v.ContainerType{Builtin: val}
	return d
}

var parityCases = []parityCase{
	{name: "nil", gd: "null", goVal: goNil{}},
	{name: "bool_true", gd: "true", goVal: true},
	{name: "bool_false", gd: "false", goVal: false},
	{name: "int_0", gd: "0", goVal: 0},
	{name: "int_-1", gd: "-1", goVal: -1},
	{name: "int_max32", gd: "2147483647", goVal: int64(math.MaxInt32)},
	{name: "int_min32", gd: "-2147483648", goVal: int64(math.MinInt32)},
	{name: "int_max32+1", gd: "2147483648", goVal: int64(math.MaxInt32 + 1)},
	{name: "int_min32-1", gd: "-2147483649", goVal: int64(math.MinInt32 - 1)},
	{name: "int_max64", gd: "9223372036854775807", goVal: int64(math.MaxInt64)},
	{name: "int_min64", gd: "-9223372036854775808", goVal: int64(math.MinInt64)},
	{name: "float_0", gd: "0.0", goVal: 0.0},
	{name: "float_-0_runtime", gd: "-zero", goVal: math.Copysign(0, -1)},
	{name: "float_1.5", gd: "1.5", goVal: 1.5},
	{name: "float_0.1", gd: "0.1", goVal: 0.1},
	// GDScript's float literals are not correctly rounded (Godot 4.6 reads
	// 3.4028234663852886e38 one ulp above the float32 maximum, and 5e-324
	// as 0), so edge values are built from their bits.
	{name: "float_f32max", gd: "PackedByteArray([0xff, 0xff, 0x7f, 0x7f]).decode_float(0)", goVal: float64(math.MaxFloat32)},
	{name: "float_f32max_next", gd: "PackedByteArray([1, 0, 0, 0xe0, 0xff, 0xff, 0xef, 0x47]).decode_double(0)", goVal: math.Nextafter(math.MaxFloat32, math.Inf(1))},
	{name: "float_2^24+1", gd: "16777217.0", goVal: 16777217.0},
	{name: "float_1e300", gd: "1e300", goVal: 1e300},
	{name: "float_smallest_denormal", gd: "PackedByteArray([1, 0, 0, 0, 0, 0, 0, 0]).decode_double(0)", goVal: 5e-324},
	{name: "float_f32_denormal", gd: "PackedByteArray([1, 0, 0, 0]).decode_float(0)", goVal: float64(math.SmallestNonzeroFloat32)},
	{name: "float_inf", gd: "INF", goVal: math.Inf(1)},
	{name: "float_-inf", gd: "-INF", goVal: math.Inf(-1)},
	{name: "float_nan", gd: "NAN", goVal: math.NaN()},
	{name: "string_empty", gd: `""`, goVal: ""},
	{name: "string_1", gd: `"a"`, goVal: "a"},
	{name: "string_3", gd: `"abc"`, goVal: "abc"},
	{name: "string_4", gd: `"abcd"`, goVal: "abcd"},
	{name: "string_unicode", gd: `"ünï ☃ 😀"`, goVal: "ünï ☃ 😀"},
	{name: "vector2", gd: "Vector2(1.5, -2.25)", goVal: v.Vector2{X: 1.5, Y: -2.25}},
	{name: "vector2_f64_value", gd: "Vector2(0.1, 0)", goVal: v.Vector2{X: float64(float32(0.1))}},
	{name: "vector2i", gd: "Vector2i(-1, 2147483647)", goVal: v.Vector2i{X: -1, Y: math.MaxInt32}},
	{name: "rect2", gd: "Rect2(1, 2, 3, 4)", goVal: v.Rect2{Position: v.Vector2{X: 1, Y: 2}, Size: v.Vector2{X: 3, Y: 4}}},
	{name: "rect2i", gd: "Rect2i(-1, -2, 3, 4)", goVal: v.Rect2i{Position: v.Vector2i{X: -1, Y: -2}, Size: v.Vector2i{X: 3, Y: 4}}},
	{name: "vector3", gd: "Vector3(1, 2, 3)", goVal: v.Vector3{X: 1, Y: 2, Z: 3}},
	{name: "vector3i", gd: "Vector3i(1, -2, 3)", goVal: v.Vector3i{X: 1, Y: -2, Z: 3}},
	{name: "transform2d", gd: "Transform2D(Vector2(1, 2), Vector2(3, 4), Vector2(5, 6))",
		goVal: v.Transform2D{X: v.Vector2{X: 1, Y: 2}, Y: v.Vector2{X: 3, Y: 4}, Origin: v.Vector2{X: 5, Y: 6}}},
	{name: "vector4", gd: "Vector4(1, 2, 3, 4)", goVal: v.Vector4{X: 1, Y: 2, Z: 3, W: 4}},
	{name: "vector4i", gd: "Vector4i(1, 2, 3, -4)", goVal: v.Vector4i{X: 1, Y: 2, Z: 3, W: -4}},
	{name: "plane", gd: "Plane(Vector3(0, 1, 0), 2.5)", goVal: v.Plane{Normal: v.Vector3{Y: 1}, D: 2.5}},
	{name: "quaternion", gd: "Quaternion(1, 2, 3, 4)", goVal: v.Quaternion{X: 1, Y: 2, Z: 3, W: 4}},
	{name: "aabb", gd: "AABB(Vector3(1, 2, 3), Vector3(4, 5, 6))", goVal: v.AABB{Position: v.Vector3{X: 1, Y: 2, Z: 3}, Size: v.Vector3{X: 4, Y: 5, Z: 6}}},
	{name: "basis", gd: "Basis(Vector3(1, 2, 3), Vector3(4, 5, 6), Vector3(7, 8, 9))",
		goVal: v.BasisFromAxes(v.Vector3{X: 1, Y: 2, Z: 3}, v.Vector3{X: 4, Y: 5, Z: 6}, v.Vector3{X: 7, Y: 8, Z: 9})},
	{name: "transform3d", gd: "Transform3D(Basis(Vector3(1, 2, 3), Vector3(4, 5, 6), Vector3(7, 8, 9)), Vector3(10, 11, 12))",
		goVal: v.Transform3D{Basis: v.BasisFromAxes(v.Vector3{X: 1, Y: 2, Z: 3}, v.Vector3{X: 4, Y: 5, Z: 6}, v.Vector3{X: 7, Y: 8, Z: 9}), Origin: v.Vector3{X: 10, Y: 11, Z: 12}}},
	{name: "projection", gd: "Projection(Vector4(1, 2, 3, 4), Vector4(5, 6, 7, 8), Vector4(9, 10, 11, 12), Vector4(13, 14, 15, 16))",
		goVal: v.Projection{Columns: [4]v.Vector4{{X: 1, Y: 2, Z: 3, W: 4}, {X: 5, Y: 6, Z: 7, W: 8}, {X: 9, Y: 10, Z: 11, W: 12}, {X: 13, Y: 14, Z: 15, W: 16}}}},
	{name: "color", gd: "Color(0.25, 0.5, 0.75, 1)", goVal: v.Color{R: 0.25, G: 0.5, B: 0.75, A: 1}},
	{name: "color_0.1", gd: "Color(0.1, 0.2, 0.3, 0.4)", goVal: v.Color{R: 0.1, G: 0.2, B: 0.3, A: 0.4}},
	{name: "stringname", gd: `&"player_name"`, goVal: v.StringName("player_name")},
	{name: "stringname_empty", gd: `&""`, goVal: v.StringName("")},
	{name: "nodepath_empty", gd: `^""`, goVal: v.NodePath{}, nodePath: true},
	{name: "nodepath_relative", gd: `^"a"`, goVal: v.NodePath{Names: []string{"a"}}, nodePath: true},
	{name: "nodepath_absolute", gd: `^"/root/Main"`, goVal: v.NodePath{Names: []string{"root", "Main"}, Absolute: true}, nodePath: true},
	{name: "nodepath_subnames", gd: `^"a/bc:def:ghij"`, goVal: v.NodePath{Names: []string{"a", "bc"}, Subnames: []string{"def", "ghij"}}, nodePath: true},
	{name: "nodepath_property", gd: `^":position:x"`, goVal: v.NodePath{Subnames: []string{"position", "x"}}, nodePath: true},
	{name: "nodepath_parent", gd: `^"../x"`, goVal: v.NodePath{Names: []string{"..", "x"}}, nodePath: true},
	{name: "rid_empty", gd: "RID()", goVal: v.RID(0)},
	{name: "object_null", gdType: "Object", gd: "null"},
	{name: "object_node", gd: "node", runDependent: true},
	{name: "object_resource", gd: "res", runDependent: true},
	{name: "callable", gd: "Callable()", goVal: v.Callable{}},
	{name: "callable_method", gd: "Callable(node, &\"queue_free\")"},
	{name: "signal_empty", gd: "Signal()", goVal: v.Signal{}},
	{name: "signal_node", gd: "Signal(node, &\"ready\")", runDependent: true},
	{name: "dict_empty", gd: "{}", goVal: v.NewDictionary()},
	{name: "dict_mixed", gd: `{"a": 1, 2: [3], Vector2(1, 2): null, &"sn": ^"np"}`,
		goVal: v.NewDictionary("a", 1, 2, []any{3}, v.Vector2{X: 1, Y: 2}, nil, v.StringName("sn"), v.NodePath{Names: []string{"np"}}), nodePath: true},
	{name: "dict_typed_string_int", gdType: "Dictionary[String, int]", gd: `{"a": 1, "b": -2}`, goVal: typedDict(v.TypeString, v.TypeInt, "a", 1, "b", -2)},
	{name: "dict_typed_int_array", gdType: "Dictionary[int, Array]", gd: `{1: [2]}`, goVal: typedDict(v.TypeInt, v.TypeArray, 1, []any{2})},
	{name: "dict_typed_key_only", gdType: "Dictionary[StringName, Variant]", gd: `{&"k": 1.5}`, goVal: typedDict(v.TypeStringName, v.TypeNil, v.StringName("k"), 1.5)},
	{name: "dict_typed_node_values", gdType: "Dictionary[String, Node]", gd: `{"n": node}`, runDependent: true},
	{name: "array_empty", gd: "[]", goVal: []any{}},
	{name: "array_mixed", gd: `[null, true, 1, 1.5, "s", &"sn", Vector3i(1, 2, 3)]`, goVal: []any{nil, true, 1, 1.5, "s", v.StringName("sn"), v.Vector3i{X: 1, Y: 2, Z: 3}}},
	{name: "array_typed_int", gdType: "Array[int]", gd: "[1, 2, 3]", goVal: typed(v.TypeInt, 1, 2, 3)},
	{name: "array_typed_int_empty", gdType: "Array[int]", gd: "[]", goVal: typed(v.TypeInt)},
	{name: "array_typed_string", gdType: "Array[String]", gd: `["a", "bc"]`, goVal: typed(v.TypeString, "a", "bc")},
	{name: "array_typed_vector2", gdType: "Array[Vector2]", gd: "[Vector2(1, 2)]", goVal: typed(v.TypeVector2, v.Vector2{X: 1, Y: 2})},
	{name: "array_typed_array", gdType: "Array[Array]", gd: "[[1], []]", goVal: typed(v.TypeArray, []any{1}, []any{})},
	{name: "array_typed_node_empty", gdType: "Array[Node]", gd: "[]"},
	{name: "array_typed_node", gdType: "Array[Node]", gd: "[node]", runDependent: true},
	{name: "nested", gd: `[[1, [2, {"x": [3, {"y": PackedByteArray([4])}]}]], {"k": {"k2": [[], {}]}}]`,
		goVal: []any{[]any{1, []any{2, v.NewDictionary("x", []any{3, v.NewDictionary("y", []byte{4})})}}, v.NewDictionary("k", v.NewDictionary("k2", []any{[]any{}, v.NewDictionary()}))}},
	{name: "packed_byte_empty", gd: "PackedByteArray()", goVal: []byte{}},
	{name: "packed_byte_3", gd: "PackedByteArray([1, 2, 255])", goVal: []byte{1, 2, 255}},
	{name: "packed_int32", gd: "PackedInt32Array([1, -1, 2147483647, -2147483648])", goVal: []int32{1, -1, math.MaxInt32, math.MinInt32}},
	{name: "packed_int64", gd: "PackedInt64Array([1, -9223372036854775808, 9223372036854775807])", goVal: []int64{1, math.MinInt64, math.MaxInt64}},
	{name: "packed_float32", gd: "PackedFloat32Array([1.5, -0.25, 0.1])", goVal: []float32{1.5, -0.25, 0.1}},
	{name: "packed_float64", gd: "PackedFloat64Array([0.1, 1e300, -INF])", goVal: []float64{0.1, 1e300, math.Inf(-1)}},
	{name: "packed_string", gd: `PackedStringArray(["", "a", "abc", "abcd", "ünï"])`, goVal: []string{"", "a", "abc", "abcd", "ünï"}},
	{name: "packed_vector2", gd: "PackedVector2Array([Vector2(1, 2), Vector2(-3, 4.5)])", goVal: []v.Vector2{{X: 1, Y: 2}, {X: -3, Y: 4.5}}},
	{name: "packed_vector3", gd: "PackedVector3Array([Vector3(1, 2, 3)])", goVal: []v.Vector3{{X: 1, Y: 2, Z: 3}}},
	{name: "packed_color", gd: "PackedColorArray([Color(1, 0, 0, 0.5)])", goVal: []v.Color{{R: 1, A: 0.5}}},
	{name: "packed_vector4", gd: "PackedVector4Array([Vector4(1, 2, 3, 4)])", goVal: []v.Vector4{{X: 1, Y: 2, Z: 3, W: 4}}},
	{name: "packed_empty_string", gd: "PackedStringArray()", goVal: []string{}},
}

// gdCasesPrelude declares make_cases(), which returns the parity cases by
// name, and the variables their expressions use; free_cases() frees them.
var gdCasesPrelude = func() string {
	var b strings.Builder
	b.WriteString(`var zero := 0.0
var node := Node.new()
var res := Resource.new()

func free_cases() -> void:
	node.free()

func make_cases() -> Dictionary:
	node.name = "N"
	res.resource_name = "R"
	var cases := {}
`)
	for i, c := range parityCases {
		if c.gdType != "" {
			fmt.Fprintf(&b, "\tvar v%d: %s = %s\n\tcases[%q] = v%d\n", i, c.gdType, c.gd, c.name, i)
			continue
		}
		fmt.Fprintf(&b, "\tcases[%q] = %s\n", c.name, c.gd)
	}
	b.WriteString(`	return cases

# same compares a value decoded from Go's bytes with Godot's own: type,
# text form and, when exact, its encoding.
func same(got, want, exact: bool) -> String:
	if typeof(got) != typeof(want):
		return "bad type %s, want %s" % [type_string(typeof(got)), type_string(typeof(want))]
	if var_to_str(got) != var_to_str(want):
		return "bad value %s, want %s" % [var_to_str(got).c_escape(), var_to_str(want).c_escape()]
	if exact and var_to_bytes(got) != var_to_bytes(want):
		return "bad re-encoding %s, want %s" % [var_to_bytes(got).hex_encode(), var_to_bytes(want).hex_encode()]
	return "ok"
`)
	return b.String()
}()

// parityScript prints, for each case, "V <name> <var_to_bytes hex>
// <var_to_bytes_with_objects hex>", then checks each value Go encoded
// (res://go.txt: "<name> <hex>" lines) against its own: "R <name> ok" or
// "R <name> bad <why>".
// parityObjects are full Objects Go writes (EncodeOptions.FullObjects) for
// Godot's bytes_to_var_with_objects, by case name: Godot instantiates the
// class, sets the properties and compares with its own value.
var parityObjects = map[string]*v.Object{
	"object_resource": {Class: "Resource", Properties: []v.Property{{Name: "resource_name", Value: "R"}}},
}

func parityScript() string {
	var b strings.Builder
	b.WriteString(`extends Node

` + gdCasesPrelude + `
func _ready() -> void:
	var cases := make_cases()
`)
	b.WriteString(`	for name in cases:
		var value = cases[name]
		print("V ", name, " ", var_to_bytes(value).hex_encode(), " ", var_to_bytes_with_objects(value).hex_encode())
	for line in FileAccess.get_file_as_string("res://go.txt").split("\n", false):
		var f := line.split(" ")
		var name := f[0]
		var bytes := f[1].hex_decode()
		var got = bytes_to_var_with_objects(bytes) if f[2] == "objects" else bytes_to_var(bytes)
		print("R ", name, " ", same(got, cases[name], f[2] == "exact"))
	free_cases()
	get_tree().quit()
`)
	return b.String()
}

// equalBytes compares Godot's encoding with Go's. With nodePath set, bytes
// may differ where Go wrote zero padding up to a 4-byte boundary (Godot
// leaves NodePath name padding uninitialised).
func equalBytes(godot, goBytes []byte, nodePath bool) bool {
	if bytes.Equal(godot, goBytes) {
		return true
	}
	if !nodePath || len(godot) != len(goBytes) {
		return false
	}
	for i := range godot {
		if godot[i] == goBytes[i] {
			continue
		}
		if i%4 == 0 {
			return false // padding never starts a word
		}
		for j := i; j < (i+4)&^3; j++ {
			if goBytes[j] != 0 {
				return false
			}
		}
	}
	return true
}

func TestVariantParityLive(t *testing.T) {
	var goTxt strings.Builder
	for _, c := range parityCases {
		if c.goVal == nil {
			continue
		}
		val := c.goVal
		if _, ok := val.(goNil); ok {
			val = nil
		}
		b, err := v.Marshal(val)
		if err != nil {
			t.Fatalf("%s: Marshal(%#v): %v", c.name, val, err)
		}
		mode := "exact"
		if !c.exact() {
			mode = "value"
		}
		fmt.Fprintf(&goTxt, "%s %x %s\n", c.name, b, mode)
	}
	for name, obj := range parityObjects {
		b, err := v.EncodeOptions{FullObjects: true}.Marshal(obj)
		if err != nil {
			t.Fatalf("%s: Marshal: %v", name, err)
		}
		fmt.Fprintf(&goTxt, "%s %x objects\n", name, b)
	}
	res := godottest.RunTest(t, parityScript(), &godottest.Options{
		Files:  map[string][]byte{"go.txt": []byte(goTxt.String())},
		Output: new(bytes.Buffer),
	})
	byName := map[string]parityCase{}
	for _, c := range parityCases {
		byName[c.name] = c
	}
	seen, checked := map[string]bool{}, map[string]bool{}
	var live []string
	for _, line := range res.Lines {
		f := strings.Fields(line)
		switch {
		case len(f) == 4 && f[0] == "V":
			c, ok := byName[f[1]]
			if !ok {
				t.Fatalf("unknown case in %q", line)
			}
			seen[c.name] = true
			live = append(live, strings.Join(f[1:], " "))
			checkGodotBytes(t, c, f[2], false)
			checkGodotBytes(t, c, f[3], true)
		case len(f) >= 3 && f[0] == "R":
			checked[f[1]] = true
			if f[2] != "ok" {
				t.Errorf("Go → Godot %s: %s", f[1], strings.Join(f[2:], " "))
			}
		default:
			t.Errorf("unexpected line %q", line)
		}
	}
	for _, c := range parityCases {
		if !seen[c.name] {
			t.Errorf("%s: Godot printed no bytes", c.name)
		}
		if (c.goVal != nil || parityObjects[c.name] != nil) && !checked[c.name] {
			t.Errorf("%s: Godot did not check Go's bytes", c.name)
		}
	}
	if t.Failed() {
		t.Logf("errors:\n%s", strings.Join(res.Errors, "\n"))
		return
	}
	if *update {
		data := "# Godot 4.6 var_to_bytes and var_to_bytes_with_objects of the cases in\n" +
			"# godottest/parity_test.go, as printed by the web engine: name plain with_objects.\n" +
			"# Regenerate with: go test ./godottest -run TestVariantParityLive -update\n" +
			strings.Join(live, "\n") + "\n"
		if err := os.WriteFile(filepath.FromSlash(parityFile), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	compareCommitted(t, live)
}

// checkGodotBytes decodes Godot's bytes, re-encodes them and compares.
func checkGodotBytes(t *testing.T, c parityCase, hexBytes string, objects bool) {
	t.Helper()
	godot, err := hex.DecodeString(hexBytes)
	if err != nil {
		t.Fatalf("%s: %v", c.name, err)
	}
	val, n, err := v.DecodeOptions{AllowObjects: objects}.Decode(godot)
	if err != nil || n != len(godot) {
		t.Errorf("%s (objects %v): Decode(%x) = %d bytes, %v", c.name, objects, godot, n, err)
		return
	}
	again, err := v.EncodeOptions{FullObjects: objects}.Marshal(val)
	if err != nil {
		t.Errorf("%s (objects %v): re-encoding %s: %v", c.name, objects, v.Format(val), err)
		return
	}
	if !equalBytes(godot, again, c.nodePath) {
		t.Errorf("%s (objects %v): Godot % x\n\t\tGo re-encoded % x", c.name, objects, godot, again)
	}
	if c.goVal != nil && !objects {
		want := c.goVal
		if _, ok := want.(goNil); ok {
			want = nil
		}
		if wb, _ := v.Marshal(want); !equalBytes(godot, wb, c.nodePath) && c.name != "float_nan" {
			t.Errorf("%s: Godot % x\n\t\tGo encodes % x", c.name, godot, wb)
		}
	}
}

// compareCommitted checks that the committed copy matches the live output
// (run-dependent bytes and NodePath padding aside).
func compareCommitted(t *testing.T, live []string) {
	f, err := os.Open(filepath.FromSlash(parityFile))
	if err != nil {
		t.Fatalf("%v (create it with -update)", err)
	}
	defer f.Close()
	committed := map[string][]string{}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if line := sc.Text(); line != "" && !strings.HasPrefix(line, "#") {
			fs := strings.Fields(line)
			committed[fs[0]] = fs[1:]
		}
	}
	var stale []string
	for _, line := range live {
		fs := strings.Fields(line)
		c := fs[0]
		old, ok := committed[c]
		delete(committed, c)
		if !ok {
			stale = append(stale, c+" missing")
			continue
		}
		if byNameRunDependent(c) {
			continue
		}
		for i := range 2 {
			a, _ := hex.DecodeString(fs[1+i])
			b, _ := hex.DecodeString(old[i])
			if !equalBytes(a, b, true) && !equalBytes(b, a, true) && !bytes.Equal(a, b) {
				stale = append(stale, c+" differs")
			}
		}
	}
	for c := range committed {
		stale = append(stale, c+" no longer a case")
	}
	sort.Strings(stale)
	if len(stale) > 0 {
		t.Errorf("%s is stale (%s): regenerate with -update", parityFile, strings.Join(stale, ", "))
	}
}

func byNameRunDependent(name string) bool {
	for _, c := range parityCases {
		if c.name == name {
			return c.runDependent || c.nodePath
		}
	}
	return false
}
