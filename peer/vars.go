package peer

import (
	"context"
	"fmt"
	"reflect"
	"sync"

	"github.com/packetpeer/packetpeer/variant"
)

// packetBufs holds the buffers ReadVarInto reads packets into and WriteVar
// encodes into, so that neither allocates a buffer once warm; buffers above
// maxPooledPacket are left to the garbage collector.
var packetBufs = sync.Pool{New: func() any { return new([]byte) }}

const maxPooledPacket = 64 << 10

func putPacketBuf(bp *[]byte) {
	if cap(*bp) <= maxPooledPacket {
		packetBufs.Put(bp)
	}
}

// ReadVarInto waits for the next packet, as ReadPacket, and decodes it into
// the value ptr points to with variant.Unmarshal's rules (struct fields by
// their `godot` tag or name, Dictionaries into maps and structs, Arrays into
// slices) and the options of SetDecodeOptions. A value that does not fit
// ptr gives an error holding a *variant.UnmarshalTypeError that names the
// field and both types; malformed bytes, one holding a *variant.Error; both
// match ErrInvalidData, and the packet is consumed either way. A ptr that
// is not a non-nil pointer gives an error matching ErrInvalidParameter and
// consumes nothing. Other errors are ReadPacket's. See "Buffers" in the
// package documentation.
func (p *Peer) ReadVarInto(ctx context.Context, ptr any) error {
	if rv := reflect.ValueOf(ptr); rv.Kind() != reflect.Pointer || rv.IsNil() {
		err := variant.Assign(ptr, nil) // Unmarshal's error for ptr, with nothing stored
		return &OpError{Op: "read var", Transport: p.name, Code: codeOf(err), Err: err}
	}
	bp := packetBufs.Get().(*[]byte)
	defer putPacketBuf(bp)
	b, _, err := p.read(ctx, readAppend, (*bp)[:0])
	if err != nil {
		return err
	}
	*bp = b
	p.decMu.Lock()
	opts := p.decOpts
	p.decMu.Unlock()
	if err := opts.Unmarshal(b, ptr); err != nil {
		return &OpError{Op: "read var", Transport: p.name, Code: codeOf(err), Err: err}
	}
	return nil
}

// WriteVar encodes v as PutVar does and sends it as WritePacket does:
// where the transport's send queue is full or flow control holds it back,
// it waits at most until ctx ends, and the error then matches both
// ctx.Err() and ErrTimeout. An encoding larger than EncodeBufferMaxSize
// fails with an error matching ErrOutOfMemory and sends nothing. Several
// goroutines may write at once; a waiting WriteVar does not hold up
// PutVar.
func (p *Peer) WriteVar(ctx context.Context, v any) error {
	if p.closed.Load() {
		return p.closedError("write var")
	}
	if err := ctx.Err(); err != nil {
		return p.ctxError("write var", err)
	}
	p.encMu.Lock()
	opts, limit := p.encOpts, p.encMax
	p.encMu.Unlock()
	bp := packetBufs.Get().(*[]byte)
	defer putPacketBuf(bp)
	b, err := opts.Append((*bp)[:0], v)
	*bp = b
	if err != nil {
		return &OpError{Op: "write var", Transport: p.name, Code: codeOf(err), Err: err}
	}
	if len(b) > limit {
		return &OpError{Op: "write var", Transport: p.name, Code: ErrOutOfMemory,
			Detail: fmt.Sprintf("encoded size %d exceeds encode buffer max size %d", len(b), limit)}
	}
	return p.WritePacket(ctx, b)
}
