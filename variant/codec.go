package variant

// EncodeOptions controls encoding. The zero value is Godot's default for
// var_to_bytes and PacketPeer.put_var.
type EncodeOptions struct {
	// FullObjects encodes Objects with their class and properties
	// (var_to_bytes_with_objects) instead of as instance ids.
	FullObjects bool
	// DoublePrecision writes math types as binary64 with FLAG_64, as a Godot
	// build with precision=double does.
	DoublePrecision bool
}

// DecodeOptions controls decoding. The zero value is Godot's default for
// bytes_to_var and PacketPeer.get_var: full objects are refused.
type DecodeOptions struct {
	// AllowObjects accepts full Objects (bytes_to_var_with_objects). They are
	// decoded into an inert value and never acted on.
	AllowObjects bool
	// MaxDepth limits container nesting; 0 means Godot's 1024.
	MaxDepth int
}

// MaxDepth is Godot's Variant::MAX_RECURSION_DEPTH: the deepest nesting level
// (the top-level value is level 0) the codec accepts by default.
const MaxDepth = 1024

// Marshal returns the Godot binary encoding of v, as var_to_bytes does.
func Marshal(v any) ([]byte, error) { return EncodeOptions{}.Append(nil, v) }

// Append appends the Godot binary encoding of v to dst. On error dst is
// returned unchanged.
func Append(dst []byte, v any) ([]byte, error) { return EncodeOptions{}.Append(dst, v) }

// Decode decodes one Variant from the start of data and reports the number of
// bytes it used, as bytes_to_var does; trailing bytes are allowed. Like
// Godot, n counts the padding of a final PackedByteArray even when the input
// ends before it, so n can exceed len(data) by up to 3.
func Decode(data []byte) (v any, n int, err error) { return DecodeOptions{}.Decode(data) }

// Unmarshal decodes one Variant from data and stores it in the value ptr
// points to, converting as described in the package documentation.
func Unmarshal(data []byte, ptr any) error { return DecodeOptions{}.Unmarshal(data, ptr) }

// Marshal returns the encoding of v under o.
func (o EncodeOptions) Marshal(v any) ([]byte, error) { return o.Append(nil, v) }

// Append appends the encoding of v under o to dst. On error dst is returned
// unchanged.
func (o EncodeOptions) Append(dst []byte, v any) ([]byte, error) {
	e := encoder{full: o.FullObjects, double: o.DoublePrecision}
	b, err := e.value(dst, v, 0)
	if err != nil {
		return dst, err
	}
	return b, nil
}

// Decode decodes one Variant under o.
func (o DecodeOptions) Decode(data []byte) (v any, n int, err error) {
	d := decoder{data: data, allowObjects: o.AllowObjects, maxDepth: o.MaxDepth}
	if d.maxDepth <= 0 {
		d.maxDepth = MaxDepth
	}
	d.sl.size(len(data))
	v, n, err = d.value(0, 0)
	if err != nil {
		return nil, 0, err
	}
	return v, n, nil
}

// Marshaler is implemented by types that encode as another Variant value.
// MarshalVariant returns the value to encode in their place (a Dictionary, a
// Vector2, a plain Go value...).
type Marshaler interface {
	MarshalVariant() (any, error)
}

// Unmarshaler is implemented by types that decode themselves from a decoded
// Variant value (as returned by Decode).
type Unmarshaler interface {
	UnmarshalVariant(v any) error
}
