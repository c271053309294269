// Cross-checks web/variant.js (loaded as window.GodotVariant) against Go's
// variant package; jsvariant_test.go calls this function in Chromium with
//   {"decode": {"name": "hex", ...}}
// and gets back
//   {"decoded": {"name": value, ...}, "encoded": {"name": "hex", ...}, "errors": {"name": "message", ...}}
// BigInt values come back as "123n".
(req) => {
  const V = window.GodotVariant;
  const toEncode = {
    nil: null,
    true: true,
    false: false,
    zero: 0,
    minus1: -1,
    int32max: 2147483647,
    int32over: 2147483648,
    int32under: -2147483649,
    bigint: 9007199254740993n,
    float32: 1.5,
    float64: 0.1,
    forcedFloat: new V.GodotFloat(3),
    empty: '',
    utf8: 'héllo ✓ 🌍',
    array: [1, 'x', null],
    dict: { type: 'say', text: 'hi', n: 2 },
    nested: [{ a: [true, 2.5] }],
    bytes: new Uint8Array([1, 2, 3, 4, 5]),
    mapIntKeys: new Map([[1, 'one'], [2, 'two']]),
  };

  const hex = (u8) => Array.from(u8, (b) => b.toString(16).padStart(2, '0')).join('');
  const fromHex = (h) => new Uint8Array((h.match(/../g) || []).map((b) => parseInt(b, 16)));

  function plain(v) {
    if (typeof v === 'bigint') return v.toString() + 'n';
    if (v instanceof Map) return { map: Array.from(v.entries()).map(([k, x]) => [plain(k), plain(x)]) };
    if (v instanceof Uint8Array) return { bytes: Array.from(v) };
    if (Array.isArray(v)) return v.map(plain);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
    return v;
  }

  const out = { decoded: {}, encoded: {}, errors: {} };
  for (const [name, h] of Object.entries(req.decode || {})) {
    try {
      out.decoded[name] = plain(V.decode(fromHex(h)));
    } catch (e) {
      out.errors[name] = e.message;
    }
  }
  for (const [name, v] of Object.entries(toEncode)) out.encoded[name] = hex(V.encode(v));
  return out;
}
