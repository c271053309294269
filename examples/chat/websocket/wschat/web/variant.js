// variant.js: Godot 4 binary Variant encoding (var_to_bytes / bytes_to_var,
// what put_var / get_var send) for the types a chat needs, in plain
// JavaScript, so a browser page speaks the same bytes as a Godot web export.
//
// JavaScript → Godot (encode):
//   null/undefined → Nil, boolean → bool, integer Number or BigInt → int
//   (32-bit when it fits, else 64-bit), other Number → float (32-bit when
//   exact, else 64-bit; wrap in GodotFloat to force a float for 3.0),
//   string → String, Array → Array, Uint8Array → PackedByteArray,
//   Map or plain object → Dictionary (insertion order kept).
// Godot → JavaScript (decode): the reverse; StringName → string,
//   Dictionary → plain object when every key is a string, else Map;
//   int64 outside ±2^53 → BigInt; PackedStringArray and the numeric packed
//   arrays → Array / typed arrays. Other types throw an Error naming the id.
(function (global) {
  'use strict';

  const T = {
    NIL: 0, BOOL: 1, INT: 2, FLOAT: 3, STRING: 4, STRING_NAME: 21,
    DICTIONARY: 27, ARRAY: 28, PACKED_BYTE_ARRAY: 29, PACKED_INT32_ARRAY: 30,
    PACKED_INT64_ARRAY: 31, PACKED_FLOAT32_ARRAY: 32, PACKED_FLOAT64_ARRAY: 33,
    PACKED_STRING_ARRAY: 34, VARIANT_MAX: 39,
  };
  const FLAG_64 = 1 << 16;
  const MAX_DEPTH = 512; // Godot's recursion limit for containers

  class GodotFloat {
    constructor(v) { this.value = Number(v); }
  }

  const utf8enc = new TextEncoder();
  const utf8dec = new TextDecoder('utf-8', { fatal: true });

  class Writer {
    constructor() { this.buf = new Uint8Array(64); this.len = 0; }
    grow(n) {
      if (this.len + n <= this.buf.length) return;
      let cap = this.buf.length * 2;
      while (cap < this.len + n) cap *= 2;
      const nb = new Uint8Array(cap);
      nb.set(this.buf.subarray(0, this.len));
      this.buf = nb;
    }
    view(n) { this.grow(n); const v = new DataView(this.buf.buffer, this.len, n); this.len += n; return v; }
    u32(x) { this.view(4).setUint32(0, x >>> 0, true); }
    i32(x) { this.view(4).setInt32(0, x, true); }
    i64(x) { this.view(8).setBigInt64(0, BigInt(x), true); }
    f32(x) { this.view(4).setFloat32(0, x, true); }
    f64(x) { this.view(8).setFloat64(0, x, true); }
    bytes(b) { this.grow(b.length); this.buf.set(b, this.len); this.len += b.length; }
    pad() { while (this.len % 4) { this.grow(1); this.buf[this.len++] = 0; } }
    str(s) { const b = utf8enc.encode(s); this.u32(b.length); this.bytes(b); this.pad(); }
  }

  function encodeInto(w, v, depth) {
    if (depth > MAX_DEPTH) throw new Error('variant: nesting too deep');
    if (v === null || v === undefined) { w.u32(T.NIL); return; }
    if (v instanceof GodotFloat) { encodeFloat(w, v.value); return; }
    switch (typeof v) {
      case 'boolean': w.u32(T.BOOL); w.u32(v ? 1 : 0); return;
      case 'bigint':
        if (v < -(2n ** 63n) || v >= 2n ** 63n) throw new Error('variant: int out of int64 range');
        if (v >= -2147483648n && v <= 2147483647n) { w.u32(T.INT); w.i32(Number(v)); } else { w.u32(T.INT | FLAG_64); w.i64(v); }
        return;
      case 'number':
        if (Number.isInteger(v) && Number.isSafeInteger(v)) {
          if (v >= -2147483648 && v <= 2147483647) { w.u32(T.INT); w.i32(v); } else { w.u32(T.INT | FLAG_64); w.i64(v); }
        } else {
          encodeFloat(w, v);
        }
        return;
      case 'string': w.u32(T.STRING); w.str(v); return;
    }
    if (v instanceof Uint8Array) { w.u32(T.PACKED_BYTE_ARRAY); w.u32(v.length); w.bytes(v); w.pad(); return; }
    if (Array.isArray(v)) {
      w.u32(T.ARRAY); w.u32(v.length);
      for (const e of v) encodeInto(w, e, depth + 1);
      return;
    }
    const entries = v instanceof Map ? Array.from(v.entries()) : Object.entries(v);
    w.u32(T.DICTIONARY); w.u32(entries.length);
    for (const [k, val] of entries) { encodeInto(w, k, depth + 1); encodeInto(w, val, depth + 1); }
  }

  function encodeFloat(w, d) {
    if (Math.fround(d) === d) { w.u32(T.FLOAT); w.f32(d); } else { w.u32(T.FLOAT | FLAG_64); w.f64(d); }
  }

  // encode returns the Godot bytes of v as a Uint8Array.
  function encode(v) {
    const w = new Writer();
    encodeInto(w, v, 0);
    return w.buf.slice(0, w.len);
  }

  class Reader {
    constructor(bytes) {
      this.b = bytes;
      this.dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      this.off = 0;
    }
    need(n) { if (n < 0 || this.off + n > this.b.length) throw new Error('variant: truncated data at byte ' + this.off); }
    u32() { this.need(4); const x = this.dv.getUint32(this.off, true); this.off += 4; return x; }
    i32() { this.need(4); const x = this.dv.getInt32(this.off, true); this.off += 4; return x; }
    i64() { this.need(8); const x = this.dv.getBigInt64(this.off, true); this.off += 8; return x; }
    f32() { this.need(4); const x = this.dv.getFloat32(this.off, true); this.off += 4; return x; }
    f64() { this.need(8); const x = this.dv.getFloat64(this.off, true); this.off += 8; return x; }
    count() { const n = this.i32(); if (n < 0) throw new Error('variant: negative count'); return n; }
    str() {
      const n = this.i32();
      const pad = (4 - (n % 4)) % 4;
      if (n < 0) throw new Error('variant: negative string length');
      this.need(n + pad);
      let raw = this.b.subarray(this.off, this.off + n);
      this.off += n + pad;
      const nul = raw.indexOf(0); // Godot stops at the first NUL
      if (nul >= 0) raw = raw.subarray(0, nul);
      return utf8dec.decode(raw);
    }
  }

  function int64ToJS(x) {
    return x >= BigInt(Number.MIN_SAFE_INTEGER) && x <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(x) : x;
  }

  function skipContainerType(r, kind) {
    if (kind === 1) r.u32();
    else if (kind === 2 || kind === 3) r.str();
  }

  function decodeFrom(r, depth) {
    if (depth > MAX_DEPTH) throw new Error('variant: nesting too deep');
    const header = r.u32();
    const type = header & 0xff;
    const f64 = (header & FLAG_64) !== 0;
    switch (type) {
      case T.NIL: return null;
      case T.BOOL: return r.u32() !== 0;
      case T.INT: return f64 ? int64ToJS(r.i64()) : r.i32();
      case T.FLOAT: return f64 ? r.f64() : r.f32();
      case T.STRING: case T.STRING_NAME: return r.str();
      case T.ARRAY: {
        skipContainerType(r, (header >> 16) & 3);
        const n = r.count() & 0x7fffffff;
        const out = [];
        for (let i = 0; i < n; i++) out.push(decodeFrom(r, depth + 1));
        return out;
      }
      case T.DICTIONARY: {
        skipContainerType(r, (header >> 16) & 3);
        skipContainerType(r, (header >> 18) & 3);
        const n = r.count() & 0x7fffffff;
        const m = new Map();
        for (let i = 0; i < n; i++) {
          const k = decodeFrom(r, depth + 1);
          m.set(k, decodeFrom(r, depth + 1));
        }
        for (const k of m.keys()) if (typeof k !== 'string') return m;
        return Object.fromEntries(m);
      }
      case T.PACKED_BYTE_ARRAY: {
        const n = r.count();
        r.need(n);
        const out = r.b.slice(r.off, r.off + n);
        r.off += n + ((4 - (n % 4)) % 4);
        return out;
      }
      case T.PACKED_INT32_ARRAY: { const n = r.count(); r.need(4 * n); const a = []; for (let i = 0; i < n; i++) a.push(r.i32()); return a; }
      case T.PACKED_INT64_ARRAY: { const n = r.count(); r.need(8 * n); const a = []; for (let i = 0; i < n; i++) a.push(int64ToJS(r.i64())); return a; }
      case T.PACKED_FLOAT32_ARRAY: { const n = r.count(); r.need(4 * n); const a = []; for (let i = 0; i < n; i++) a.push(r.f32()); return a; }
      case T.PACKED_FLOAT64_ARRAY: { const n = r.count(); r.need(8 * n); const a = []; for (let i = 0; i < n; i++) a.push(r.f64()); return a; }
      case T.PACKED_STRING_ARRAY: {
        const n = r.i32(); // Godot: a negative count is an empty array
        const a = [];
        for (let i = 0; i < n; i++) a.push(r.str());
        return a;
      }
    }
    throw new Error('variant: unsupported type id ' + type);
  }

  // decode parses Godot bytes (ArrayBuffer or Uint8Array) into a value.
  function decode(bytes) {
    if (bytes instanceof ArrayBuffer) bytes = new Uint8Array(bytes);
    return decodeFrom(new Reader(bytes), 0);
  }

  const api = { encode, decode, GodotFloat, Type: T };
  if (typeof module !== 'undefined' && module.exports) module.exports = api;
  else global.GodotVariant = api;
})(typeof window !== 'undefined' ? window : globalThis);
