// Package rangecoder is ENet's datagram compressor
// (enet_host_compress_with_range_coder): an adaptive order-2 context model
// driving a 32-bit range coder, byte-compatible with libenet 1.3.x. Every
// call starts from a fresh model; nothing carries over between datagrams.
package rangecoder

import "errors"

const (
	top    = 1 << 24
	bottom = 1 << 16

	poolSize = 4096
	subOrder = 2

	rootEscapes = 1 // ENET_CONTEXT_ESCAPE_MINIMUM
	rootMinimum = 1 // ENET_CONTEXT_SYMBOL_MINIMUM
	rootDelta   = 3 // ENET_CONTEXT_SYMBOL_DELTA
	subDelta    = 2 // ENET_SUBCONTEXT_SYMBOL_DELTA
	escapeDelta = 5 // ENET_SUBCONTEXT_ESCAPE_DELTA

	rootRescaleCount = 0xFF - 2*rootDelta + rootMinimum // 250
	subRescaleCount  = 0xFF - 2*subDelta                // 251
	rescaleTotal     = bottom - 0x100                   // 65280
)

// ErrCorrupt reports compressed input the model cannot decode, or output
// beyond the limit.
var ErrCorrupt = errors.New("rangecoder: corrupt input or output over the limit")

// node is at once a symbol in its context's binary tree (value, count,
// under, left, right) and the context "previous bytes + this symbol"
// (symbols, escapes, total). Links are absolute pool indices; 0 means none
// (node 0 is the root context, never a child).
type node struct {
	value   uint8
	count   uint8
	under   uint16
	left    uint16
	right   uint16
	symbols uint16
	escapes uint16
	total   uint16
	parent  uint16
}

// Coder holds the model's node pool (64 KiB). The zero value is ready; a
// Coder is not safe for concurrent use.
type Coder struct {
	n    [poolSize]node
	next uint16
}

func (c *Coder) create(v, count uint8) uint16 {
	i := c.next
	c.next++
	c.n[i] = node{value: v, count: count, under: uint16(count)}
	return i
}

func (c *Coder) reset() uint16 {
	c.next = 0
	r := c.create(0, 0)
	c.n[r].escapes = rootEscapes
	c.n[r].total = rootEscapes + 256*rootMinimum
	return r
}

// update finds or adds v in context ctx (ENET_CONTEXT_ENCODE).
func (c *Coder) update(ctx uint16, v uint8, delta, minimum uint16) (sym, under, count uint16) {
	under = uint16(v) * minimum
	count = minimum
	if c.n[ctx].symbols == 0 {
		sym = c.create(v, uint8(delta))
		c.n[ctx].symbols = sym
		return
	}
	i := c.n[ctx].symbols
	for {
		nd := &c.n[i]
		switch {
		case v < nd.value:
			nd.under += delta
			if nd.left != 0 {
				i = nd.left
				continue
			}
			sym = c.create(v, uint8(delta))
			c.n[i].left = sym
		case v > nd.value:
			under += nd.under
			if nd.right != 0 {
				i = nd.right
				continue
			}
			sym = c.create(v, uint8(delta))
			c.n[i].right = sym
		default:
			count += uint16(nd.count)
			under += nd.under - uint16(nd.count)
			nd.under += delta
			nd.count += uint8(delta)
			sym = i
		}
		return
	}
}

func (c *Coder) rescaleTree(i uint16) uint16 {
	var total uint16
	for {
		nd := &c.n[i]
		nd.count -= nd.count >> 1
		nd.under = uint16(nd.count)
		if nd.left != 0 {
			nd.under += c.rescaleTree(nd.left)
		}
		total += nd.under
		if nd.right == 0 {
			return total
		}
		i = nd.right
	}
}

func (c *Coder) rescale(ctx uint16, minimum uint16) {
	x := &c.n[ctx]
	var t uint16
	if x.symbols != 0 {
		t = c.rescaleTree(x.symbols)
	}
	x = &c.n[ctx]
	x.total = t
	x.escapes -= x.escapes >> 1
	x.total += x.escapes + 256*minimum
}

type encoder struct {
	low, rng uint32
	out      []byte
	limit    int
	full     bool
}

func (e *encoder) emit(b byte) {
	if len(e.out) >= e.limit {
		e.full = true
		return
	}
	e.out = append(e.out, b)
}

func (e *encoder) encode(under, count, total uint16) {
	e.rng /= uint32(total)
	e.low += uint32(under) * e.rng
	e.rng *= uint32(count)
	for {
		if e.low^(e.low+e.rng) >= top {
			if e.rng >= bottom {
				return
			}
			e.rng = -e.low & (bottom - 1)
		}
		e.emit(byte(e.low >> 24))
		e.rng <<= 8
		e.low <<= 8
	}
}

// Compress appends ENet's range-coded form of src to dst. It reports false
// (and the datagram should go out uncompressed) when the output would
// exceed limit bytes.
func (c *Coder) Compress(dst, src []byte, limit int) ([]byte, bool) {
	e := encoder{rng: ^uint32(0), out: dst, limit: len(dst) + limit}
	root := c.reset()
	var predicted, order uint16
	for _, v := range src {
		var chain [subOrder + 1]uint16
		nchain := 0
		coded := false
		for ctx := predicted; ctx != root; ctx = c.n[ctx].parent {
			sym, under, count := c.update(ctx, v, subDelta, 0)
			chain[nchain] = sym
			nchain++
			x := &c.n[ctx]
			total := x.total
			if count > 0 {
				e.encode(x.escapes+under, count, total)
			} else {
				if x.escapes > 0 && x.escapes < total {
					e.encode(0, x.escapes, total)
				}
				x.escapes += escapeDelta
				x.total += escapeDelta
			}
			x.total += subDelta
			if count > subRescaleCount || x.total > rescaleTotal {
				c.rescale(ctx, 0)
			}
			if count > 0 {
				coded = true
				break
			}
		}
		if !coded {
			sym, under, count := c.update(root, v, rootDelta, rootMinimum)
			chain[nchain] = sym
			nchain++
			r := &c.n[root]
			e.encode(r.escapes+under, count, r.total)
			r.total += rootDelta
			if count > rootRescaleCount || r.total > rescaleTotal {
				c.rescale(root, rootMinimum)
			}
		}
		predicted = chain[0]
		for k := 1; k < nchain; k++ {
			c.n[chain[k-1]].parent = chain[k]
		}
		if e.full {
			return dst, false
		}
		if order >= subOrder {
			predicted = c.n[predicted].parent
		} else {
			order++
		}
		if c.next >= poolSize-subOrder {
			root = c.reset()
			predicted, order = 0, 0
		}
	}
	for e.low != 0 {
		e.emit(byte(e.low >> 24))
		e.low <<= 8
	}
	if e.full {
		return dst, false
	}
	return e.out, true
}

type decoder struct {
	low, rng, code uint32
	in             []byte
}

func (d *decoder) nextByte() uint32 {
	if len(d.in) == 0 {
		return 0
	}
	b := d.in[0]
	d.in = d.in[1:]
	return uint32(b)
}

func (d *decoder) read(total uint16) uint16 {
	d.rng /= uint32(total)
	return uint16((d.code - d.low) / d.rng)
}

func (d *decoder) decode(under, count uint16) {
	d.low += uint32(under) * d.rng
	d.rng *= uint32(count)
	for {
		if d.low^(d.low+d.rng) >= top {
			if d.rng >= bottom {
				return
			}
			d.rng = -d.low & (bottom - 1)
		}
		d.code = d.code<<8 | d.nextByte()
		d.rng <<= 8
		d.low <<= 8
	}
}

// Decompress appends the data src decodes to to dst, at most limit bytes;
// more, or input the model cannot follow, is ErrCorrupt.
func (c *Coder) Decompress(dst, src []byte, limit int) ([]byte, error) {
	d := decoder{rng: ^uint32(0), in: src}
	for range 4 {
		d.code = d.code<<8 | d.nextByte()
	}
	end := len(dst) + limit
	root := c.reset()
	var predicted, order uint16
	for {
		var value uint8
		var found uint16
		ctx := predicted
		for ; ctx != root; ctx = c.n[ctx].parent {
			x := &c.n[ctx]
			if x.escapes == 0 || x.escapes >= x.total {
				continue
			}
			total := x.total
			code := d.read(total)
			if code < x.escapes {
				d.decode(0, x.escapes)
				continue
			}
			code -= x.escapes
			// Walk the context's tree (ENET_CONTEXT_TRY_DECODE).
			if x.symbols == 0 {
				return dst, ErrCorrupt
			}
			var acc uint16
			i := x.symbols
			for {
				nd := &c.n[i]
				hi := acc + nd.under
				lo := hi - uint16(nd.count)
				if code >= hi {
					acc += nd.under
					if nd.right == 0 {
						return dst, ErrCorrupt
					}
					i = nd.right
					continue
				}
				if code < lo {
					nd.under += subDelta
					if nd.left == 0 {
						return dst, ErrCorrupt
					}
					i = nd.left
					continue
				}
				value = nd.value
				count := uint16(nd.count)
				nd.under += subDelta
				nd.count += subDelta
				found = i
				d.decode(x.escapes+lo, count)
				x = &c.n[ctx]
				x.total += subDelta
				if count > subRescaleCount || x.total > rescaleTotal {
					c.rescale(ctx, 0)
				}
				break
			}
			break
		}
		if ctx == root {
			r := &c.n[root]
			total := r.total
			code := d.read(total)
			if code < r.escapes {
				d.decode(0, r.escapes)
				return dst, nil
			}
			code -= r.escapes
			var under, count uint16 = 0, rootMinimum
			if r.symbols == 0 {
				value, under = uint8(code), code
				found = c.create(value, rootDelta)
				c.n[root].symbols = found
			} else {
				i := r.symbols
				for {
					nd := &c.n[i]
					hi := under + nd.under + (uint16(nd.value)+1)*rootMinimum
					lo := hi - (uint16(nd.count) + rootMinimum)
					if code >= hi {
						under += nd.under
						if nd.right != 0 {
							i = nd.right
							continue
						}
						value, under = nd.value+1+uint8(code-hi), code
						found = c.create(value, rootDelta)
						c.n[i].right = found
					} else if code < lo {
						nd.under += rootDelta
						if nd.left != 0 {
							i = nd.left
							continue
						}
						value, under = nd.value-1-uint8(lo-1-code), code
						found = c.create(value, rootDelta)
						c.n[i].left = found
					} else {
						value = nd.value
						count += uint16(nd.count)
						under = lo
						nd.under += rootDelta
						nd.count += rootDelta
						found = i
					}
					break
				}
			}
			d.decode(c.n[root].escapes+under, count)
			r = &c.n[root]
			r.total += rootDelta
			if count > rootRescaleCount || r.total > rescaleTotal {
				c.rescale(root, rootMinimum)
			}
		}
		// Bring the escaped contexts up to date, as the encoder did.
		link := &predicted
		for p := predicted; p != ctx; p = c.n[p].parent {
			sym, _, count := c.update(p, value, subDelta, 0)
			*link = sym
			link = &c.n[sym].parent
			x := &c.n[p]
			if count == 0 {
				x.escapes += escapeDelta
				x.total += escapeDelta
			}
			x.total += subDelta
			if count > subRescaleCount || x.total > rescaleTotal {
				c.rescale(p, 0)
			}
		}
		*link = found
		if len(dst) >= end {
			return dst, ErrCorrupt
		}
		dst = append(dst, value)
		if order >= subOrder {
			predicted = c.n[predicted].parent
		} else {
			order++
		}
		if c.next >= poolSize-subOrder {
			root = c.reset()
			predicted, order = 0, 0
		}
	}
}
