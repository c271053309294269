package peer

import (
	"context"
	"reflect"
	"sync"

	"github.com/packetpeer/packetpeer/variant"
)

// packetBufs holds the buffers ReadVarInto reads packets into, so that a
// read allocates nothing once warm; buffers above maxPooledPacket are left
// to the garbage collector.
var packetBufs = sync.Pool{New: func() any { return new([]byte) }}

const maxPooledPacket = 64 << 10

// ReadVarInto waits for the next packet, as ReadPacket, and decodes it into
// the value ptr points to with variant.Unmarshal's rules (struct fields by
// their `godot` tag or name, Dictionaries into maps and structs, Arrays into
// slices) and the options of SetDecodeOptions. A value that does not fit
// ptr gives a *variant.UnmarshalTypeError naming the field and both types;
// malformed bytes give a *variant.Error; both match ErrInvalidData, and
// the packet is consumed either way. A ptr that is not a non-nil pointer
// gives an error matching ErrInvalidParameter and consumes nothing. Other
// errors are ReadPacket's. See "Buffers" in the package documentation.
func (p *Peer) ReadVarInto(ctx context.Context, ptr any) error {
	if rv := reflect.ValueOf(ptr); rv.Kind() != reflect.Pointer || rv.IsNil() {
		return variant.Assign(ptr, nil) // Unmarshal's error for ptr, with nothing stored
	}
	bp := packetBufs.Get().(*[]byte)
	b, _, err := p.read(ctx, readAppend, (*bp)[:0])
	if err == nil {
		p.decMu.Lock()
		opts := p.decOpts
		p.decMu.Unlock()
		err = opts.Unmarshal(b, ptr)
		*bp = b
	}
	if cap(*bp) <= maxPooledPacket {
		packetBufs.Put(bp)
	}
	return err
}
