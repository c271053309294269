package scene

import (
	"bytes"
	"encoding/binary"
	"math"
	"reflect"
	"strconv"

	"github.com/packetpeer/packetpeer/peer"
	"github.com/packetpeer/packetpeer/variant"
)

// Call describes an RPC a Handler runs.
type Call struct {
	Multiplayer *Multiplayer
	Node        *Node
	Method      Method // the method called, with its configuration
	// Sender is the peer that called (Godot's get_remote_sender_id): the
	// original client for a call relayed through the server, this side's
	// own id for a call_local call.
	Sender int32
}

// Handler runs an RPC that a peer called on a node. args reads the
// arguments; they alias the received packet and are valid during the call
// only. A non-nil error means the arguments did not fit (their count or
// types): the call is counted in Stats.BadArgs, as Godot logs a call error.
// ServeRPC runs on the goroutine that polls the Multiplayer.
type Handler interface {
	ServeRPC(c Call, args Args) error
}

// HandlerFunc is a function as a Handler.
type HandlerFunc func(c Call, args Args) error

// ServeRPC calls f.
func (f HandlerFunc) ServeRPC(c Call, args Args) error { return f(c, args) }

// Func0 returns the Handler of an RPC without arguments. Calls with
// arguments are refused, as Godot refuses a call with the wrong count.
func Func0(fn func(c Call)) Handler {
	return HandlerFunc(func(c Call, a Args) error {
		if err := a.want(0); err != nil {
			return err
		}
		fn(c)
		return nil
	})
}

type func1[A any] func(Call, A)

func (f func1[A]) ServeRPC(c Call, a Args) error {
	if err := a.want(1); err != nil {
		return err
	}
	var x A
	if err := arg(&a, &x); err != nil {
		return err
	}
	f(c, x)
	return nil
}

// Func1 returns the Handler of an RPC of one argument, decoded into A.
// Calls with another count, or an argument that does not convert to A,
// are refused. Decoding follows package variant's Unmarshal conversions
// (bool; ints into any int type that holds them, and into floats; floats;
// String and StringName into string; PackedByteArray into []byte; any into
// any; Vector2, Array, Dictionary, structs ... as variant.Assign), and
// allocates nothing for bools, ints and floats.
func Func1[A any](fn func(c Call, a A)) Handler { return func1[A](fn) }

type func2[A, B any] func(Call, A, B)

func (f func2[A, B]) ServeRPC(c Call, a Args) error {
	if err := a.want(2); err != nil {
		return err
	}
	var x A
	var y B
	if err := arg(&a, &x); err != nil {
		return err
	}
	if err := arg(&a, &y); err != nil {
		return err
	}
	f(c, x, y)
	return nil
}

// Func2 is Func1 for an RPC of two arguments.
func Func2[A, B any](fn func(c Call, a A, b B)) Handler { return func2[A, B](fn) }

type func3[A, B, C any] func(Call, A, B, C)

func (f func3[A, B, C]) ServeRPC(c Call, a Args) error {
	if err := a.want(3); err != nil {
		return err
	}
	var x A
	var y B
	var z C
	if err := arg(&a, &x); err != nil {
		return err
	}
	if err := arg(&a, &y); err != nil {
		return err
	}
	if err := arg(&a, &z); err != nil {
		return err
	}
	f(c, x, y, z)
	return nil
}

// Func3 is Func1 for an RPC of three arguments.
func Func3[A, B, C any](fn func(c Call, a A, b B, cc C)) Handler { return func3[A, B, C](fn) }

type func4[A, B, C, D any] func(Call, A, B, C, D)

func (f func4[A, B, C, D]) ServeRPC(c Call, a Args) error {
	if err := a.want(4); err != nil {
		return err
	}
	var x A
	var y B
	var z C
	var w D
	if err := arg(&a, &x); err != nil {
		return err
	}
	if err := arg(&a, &y); err != nil {
		return err
	}
	if err := arg(&a, &z); err != nil {
		return err
	}
	if err := arg(&a, &w); err != nil {
		return err
	}
	f(c, x, y, z, w)
	return nil
}

// Func4 is Func1 for an RPC of four arguments.
func Func4[A, B, C, D any](fn func(c Call, a A, b B, cc C, d D)) Handler {
	return func4[A, B, C, D](fn)
}

// Func returns the Handler of fn, a func(scene.Call, T1, ..., Tn) with any
// number of parameters after the Call, each decoded as Func1 does. It uses
// reflection, so each call allocates; Func0 to Func4 do not. Anything but
// such a func is an error matching peer.ErrInvalidParameter.
func Func(fn any) (Handler, error) {
	v := reflect.ValueOf(fn)
	if !v.IsValid() || v.Kind() != reflect.Func || v.IsNil() {
		return nil, sessionErr(CommandRemoteCall, "handler is not a func", peer.ErrInvalidParameter)
	}
	t := v.Type()
	if t.NumIn() < 1 || t.In(0) != reflect.TypeFor[Call]() || t.IsVariadic() || t.NumIn()-1 > maxArgs {
		return nil, sessionErr(CommandRemoteCall, "handler "+t.String()+" is not a func(scene.Call, ...)", peer.ErrInvalidParameter)
	}
	n := t.NumIn() - 1
	return HandlerFunc(func(c Call, a Args) error {
		if err := a.want(n); err != nil {
			return err
		}
		in := make([]reflect.Value, n+1)
		in[0] = reflect.ValueOf(c)
		for i := range n {
			p := reflect.New(t.In(i + 1))
			if err := argAny(&a, p.Interface()); err != nil {
				return err
			}
			in[i+1] = p.Elem()
		}
		v.Call(in)
		return nil
	}), nil
}

func (a *Args) want(n int) error {
	if a.left != n {
		return invalid(CommandRemoteCall, -1, strconv.Itoa(a.left)+" arguments, the handler takes "+strconv.Itoa(n))
	}
	return nil
}

// arg decodes the next argument into *dst, without allocating for the
// scalar types.
func arg[T any](a *Args, dst *T) error {
	if ok, err := scalarArg(a, dst); ok {
		return err
	}
	v, err := a.Value()
	if err != nil {
		return err
	}
	tmp := new(T)
	if err := variant.Assign(tmp, v); err != nil {
		return wrap(CommandRemoteCall, "argument "+strconv.Itoa(a.i-1), err)
	}
	*dst = *tmp
	return nil
}

func argAny(a *Args, dst any) error {
	if ok, err := scalarArg(a, dst); ok {
		return err
	}
	v, err := a.Value()
	if err != nil {
		return err
	}
	if err := variant.Assign(dst, v); err != nil {
		return wrap(CommandRemoteCall, "argument "+strconv.Itoa(a.i-1), err)
	}
	return nil
}

// scalarArg decodes the next argument into dst when dst points to a type
// read without allocating (or to string and []byte), and reports whether it
// did.
func scalarArg(a *Args, dst any) (bool, error) {
	switch p := dst.(type) {
	case *bool:
		v, err := a.Bool()
		*p = v
		return true, err
	case *int64:
		v, err := a.Int()
		*p = v
		return true, err
	case *int:
		v, err := a.Int()
		*p = int(v)
		return true, err
	case *int32:
		v, err := a.intIn(math.MinInt32, math.MaxInt32)
		*p = int32(v)
		return true, err
	case *int16:
		v, err := a.intIn(math.MinInt16, math.MaxInt16)
		*p = int16(v)
		return true, err
	case *uint8:
		v, err := a.intIn(0, math.MaxUint8)
		*p = uint8(v)
		return true, err
	case *float64:
		v, err := a.number()
		*p = v
		return true, err
	case *float32:
		v, err := a.number()
		*p = float32(v)
		return true, err
	case *string:
		v, err := a.String()
		*p = v
		return true, err
	case *[]byte:
		v, err := a.Bytes()
		*p = bytes.Clone(v)
		return true, err
	}
	return false, nil
}

func (a *Args) intIn(lo, hi int64) (int64, error) {
	if a.left > 0 && len(a.data) > 0 && a.data[0]&metaTypeMask == typeInt {
		if v, _, err := decodeCompressedInt(a.data); err == nil && (v < lo || v > hi) {
			return 0, invalid(CommandRemoteCall, -1, "argument "+strconv.Itoa(a.i)+" is "+strconv.FormatInt(v, 10)+", out of range")
		}
	}
	return a.Int()
}

// number reads a float, or an int as a float (GDScript converts an int
// passed to a float parameter).
func (a *Args) number() (float64, error) {
	if a.left > 0 && len(a.data) > 0 && a.data[0]&metaTypeMask == typeInt {
		v, err := a.Int()
		return float64(v), err
	}
	return a.Float()
}

// Type returns the Variant type of the next argument without reading it:
// TypePackedByteArray for the bytes of a byte-only call, TypeNil when none
// is left.
func (a *Args) Type() variant.Type {
	switch {
	case a.left == 0 || len(a.data) == 0:
		return variant.TypeNil
	case a.raw:
		return variant.TypePackedByteArray
	}
	return variant.Type(a.data[0] & metaTypeMask)
}

// String reads a String or StringName argument (one allocation, the
// string).
func (a *Args) String() (string, error) {
	d, err := a.start("String")
	if err != nil {
		return "", err
	}
	if len(d) < 8 || (d[0] != byte(variant.TypeString) && d[0] != byte(variant.TypeStringName)) || d[1]|d[2]|d[3] != 0 {
		return "", a.mismatch("String", typeName(d[0]))
	}
	size := int(binary.LittleEndian.Uint32(d[4:]))
	if size < 0 || size > len(d)-8 {
		return "", invalid(CommandRemoteCall, -1, "argument "+strconv.Itoa(a.i)+": String of "+strconv.Itoa(size)+" bytes truncated")
	}
	s := string(d[8 : 8+size])
	a.advance(min(8+size+(4-size%4)%4, len(d)))
	return s, nil
}
