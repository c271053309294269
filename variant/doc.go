// Package variant is the Godot 4 binary Variant codec: the bytes of Godot's
// var_to_bytes / bytes_to_var, PacketPeer.put_var / get_var and
// StreamPeer.put_var (without its length prefix), for Godot 4.3 – 4.6.
//
// Encoding is byte-exact with Godot's encoder: ints use 32 bits unless they
// need 64, floats use binary32 when the value survives the round trip (NaN
// always uses binary64), strings are padded to 4 bytes, PackedStringArray
// elements carry their NUL, NodePaths use the 4.x layout, null Objects are a
// bare NIL header, typed containers carry their descriptors. Math types are
// written as binary32 like official (single-precision) builds, or as
// binary64 with FLAG_64 with EncodeOptions.DoublePrecision; decoding accepts
// both widths everywhere Godot defines FLAG_64.
//
// Decoding follows Godot's order of checks and reports Godot's error for
// each malformed input (ERR_INVALID_DATA, ERR_FILE_EOF for bad string
// lengths, ERR_UNAUTHORIZED for full objects unless allowed,
// ERR_OUT_OF_MEMORY beyond 1024 nesting levels) as an *Error carrying the
// byte offset and a reason. It never panics and never recurses without
// bound. Full Objects are decoded into an inert *Object; nothing is
// instantiated or run.
//
// # Memory
//
// One Decode allocates at most 40 bytes per input byte plus 16 KiB, whatever
// the input: nesting, counts and types. Counts are claims: containers (typed
// or not, Dictionaries, Objects, PackedStringArrays, NodePaths) reserve room
// for their elements only within one budget per decode, 4 bytes per input
// byte, which no honest input exceeds, and grow by doubling past it; packed
// arrays and strings are checked against the bytes left before anything is
// allocated. So 1000 nested Arrays that each claim 2^31-1 elements cost no
// more than honest input. The 40 leaves room above the worst inputs found,
// about 30 (empty Dictionaries, 144 bytes each for 8 input bytes, in Arrays
// that claim more than they hold); a typical message allocates about 3
// bytes per input byte. Unmarshal allocates at most twice Decode's bound (it may
// decode twice, see below) plus the Go values it stores: at most E bytes per
// input byte, E being the Go size of the largest slice element, map entry or
// pointed-to value of the destination.
//
// # Type mapping
//
// Encoding (Marshal, Append) accepts the Go values on the left; decoding
// (Decode) into any returns the value on the right.
//
//	Godot Variant (id)          encoded from                           decoded as
//	Nil (0)                     nil, nil pointer/interface/*Object     nil
//	bool (1)                    bool                                   bool
//	int (2)                     int*, uint* (uint64 > MaxInt64 fails)  int64
//	float (3)                   float32, float64                       float64
//	String (4)                  string                                 string
//	Vector2 (5) ... Projection  Vector2, Vector2i, Rect2, Rect2i,      the same type
//	  (19)                      Vector3, Vector3i, Transform2D,
//	                            Vector4, Vector4i, Plane, Quaternion,
//	                            AABB, Basis, Transform3D, Projection
//	Color (20)                  Color                                  Color
//	StringName (21)             StringName                             StringName
//	NodePath (22)               NodePath, *NodePath                    NodePath
//	RID (23)                    RID                                    RID
//	Object (24)                 ObjectID (instance id);                ObjectID (id; 0 = null Object),
//	                            *Object (full with FullObjects,        *Object (full, only with
//	                            else its ID)                           DecodeOptions.AllowObjects)
//	Callable (25)               Callable                               Callable
//	Signal (26)                 Signal                                 Signal
//	Dictionary (27)             *Dictionary (nil → empty), maps,       *Dictionary
//	                            structs
//	Array (28)                  []any, other slices and arrays,        []any, or TypedArray when
//	                            TypedArray, *TypedArray                typed (Array[int], ...)
//	PackedByteArray (29)        []byte                                 []byte
//	PackedInt32Array (30)       []int32                                []int32
//	PackedInt64Array (31)       []int64                                []int64
//	PackedFloat32Array (32)     []float32                              []float32
//	PackedFloat64Array (33)     []float64                              []float64
//	PackedStringArray (34)      []string                               []string
//	PackedVector2Array (35)     []Vector2                              []Vector2
//	PackedVector3Array (36)     []Vector3                              []Vector3
//	PackedColorArray (37)       []Color                                []Color
//	PackedVector4Array (38)     []Vector4                              []Vector4
//
// Other Go values are mapped the way encoding/json users expect: pointers
// are followed (nil → Nil); named types use their underlying kind; slices
// whose element kind is uint8, int32, int64, float32, float64 or string (or
// whose element type is Vector2, Vector3, Vector4 or Color) become the
// matching packed array; other slices and all Go arrays become an Array;
// maps become a Dictionary
// with keys sorted (naturally for strings, numbers and bools, by encoding
// otherwise) so output is deterministic; structs become a Dictionary with
// String keys of their exported fields in declaration order, renamed with
// the tag `godot:"name"`, skipped with `godot:"-"`, left out when empty with
// `godot:"name,omitempty"`, and untagged embedded structs flattened. Types
// implementing Marshaler encode as the value MarshalVariant returns.
//
// Three consequences surprise people coming from GDScript (ExampleMarshal_mapping
// shows each):
//
//   - A typed slice becomes a packed array when one matches: []Vector2 is a
//     PackedVector2Array, []int64 a PackedInt64Array, []string a
//     PackedStringArray, so the script receives a packed array, for which
//     `value is Array` is false. Send []any for an untyped Array, or
//     TypedArray for an Array[Vector2].
//   - Only []int32 and []int64 become packed int arrays: []int and
//     []uint16 are Arrays of ints.
//   - A Go map becomes a Dictionary with sorted keys, not in insertion order
//     (Go maps have none). To send keys in a chosen order, as a GDScript
//     Dictionary literal does, use *Dictionary (NewDictionary) or a struct,
//     whose fields keep their declaration order.
//
// Strings must be valid UTF-8 without NUL bytes or a leading BOM: Godot's
// decoder would reject or alter anything else, so encoding fails with
// ERR_INVALID_PARAMETER instead of silently producing lossy bytes.
//
// Decoded values never alias the input buffer, so packet buffers can be
// reused. To keep decoding cheap, small values of one decoded Variant share a
// few memory chunks bounded by the input size; a value kept alive keeps its
// chunk alive. Short String keys of decoded Dictionaries ("id", "pos") come
// from a fixed-size, process-wide table of recent keys, so the keys of a
// stream of similar messages cost no memory of their own.
//
// Typed containers decode with their declared type (TypedArray.Type,
// Dictionary.KeyType / ValueType) and all their elements; Godot would drop
// elements of the wrong type, this package leaves enforcement to the caller.
// Without AllowObjects the class of Object-typed containers reads as
// "EncodedObjectAsID", as in Godot.
//
// # Unmarshal
//
// Unmarshal decodes and stores the value into a Go variable like
// encoding/json. It walks the bytes and the destination together (struct
// field tables are cached per type), so a message decoded into a struct
// does not build the intermediate Dictionary; the result, and every error,
// is the same as Decode followed by Assign. On error the destination may be
// partly filled (as with encoding/json). Conversions: bool into bools; int
// into any integer kind (with an overflow check naming the field) and into
// floats; float into floats and, when whole, into integers; String, StringName and NodePath into strings;
// Array, typed Array and packed arrays into slices and arrays element by
// element; Dictionary into maps (keys converted the same way) and into
// structs (String or StringName keys matched against field names, exactly
// first, then case-insensitively; unknown keys are ignored); Nil into the
// zero value; any value into an interface it satisfies, and any value of the
// destination's own type (Vector2, *Dictionary, ...) as is. Pointers are
// allocated as needed and types implementing Unmarshaler receive the
// decoded value.
//
// A well-formed value that does not fit its destination (a String for an
// int field, 300 for a uint8, an Array for a struct) is an
// *UnmarshalTypeError naming the field path ("players[1].pos"), the Variant
// type and the Go type; malformed input is an *Error with the byte offset.
// Both match ErrInvalidData (and peer.ErrInvalidData) with errors.Is.
//
// # Dictionaries
//
// Dictionary keeps insertion order, takes any Variant as key (two keys are
// the same when their decoded forms are Equal, so 1 and int64(1) are one key
// while 1 and 1.0 are two, as in Godot), and a later duplicate key overwrites
// the earlier value in place, which is how Godot decodes duplicates. Keys are
// hashed structurally with a random seed; while decoding, each container is
// hashed once, so duplicate detection costs time in proportion to the input
// even for Dictionaries nested as keys.
//
// # Formatting
//
// Format(v) and the String methods print values in Godot's text form on one
// line: Vector2(1, 2), {"a": 1}, [1, "x"], &"name", ^"path".
package variant
