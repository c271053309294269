// Cross-checks web/variant.js against Go's variant package (run by
// variant_js_test.go with node, no browser). Reads JSON from stdin:
//   {"decode": {"name": "hex", ...}}
// and prints JSON:
//   {"decoded": {"name": value, ...}, "encoded": {"name": "hex", ...}}
// BigInt values print as "123n".
'use strict';
const path = require('path');
const V = require(path.join(__dirname, '..', 'web', 'variant.js'));

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

const hex = (u8) => Buffer.from(u8).toString('hex');
const fromHex = (h) => new Uint8Array(Buffer.from(h, 'hex'));

function plain(v) {
  if (typeof v === 'bigint') return v.toString() + 'n';
  if (v instanceof Map) return { map: Array.from(v.entries()).map(([k, x]) => [plain(k), plain(x)]) };
  if (v instanceof Uint8Array) return { bytes: Array.from(v) };
  if (Array.isArray(v)) return v.map(plain);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  return v;
}

let input = '';
process.stdin.on('data', (d) => { input += d; });
process.stdin.on('end', () => {
  const req = JSON.parse(input);
  const out = { decoded: {}, encoded: {}, errors: {} };
  for (const [name, h] of Object.entries(req.decode || {})) {
    try {
      out.decoded[name] = plain(V.decode(fromHex(h)));
    } catch (e) {
      out.errors[name] = e.message;
    }
  }
  for (const [name, v] of Object.entries(toEncode)) out.encoded[name] = hex(V.encode(v));
  console.log(JSON.stringify(out));
});
