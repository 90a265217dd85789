/**
 * HMAC-SHA256 for short values with the key's inner and outer states computed once. Node's
 * createHmac costs about 2 us a call whatever the input (key import, native hop); tokens are made
 * for every masked value of a result, so this keeps them well under a microsecond. Checked
 * against node:crypto in hmac-sha256.test.ts.
 */
const K = new Int32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);
const IV = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];
const W = new Int32Array(64);

function compress(state: Int32Array, block: Uint8Array, at: number): void {
  for (let i = 0; i < 16; i++) W[i] = (block[at + i * 4] << 24) | (block[at + i * 4 + 1] << 16) | (block[at + i * 4 + 2] << 8) | block[at + i * 4 + 3];
  for (let i = 16; i < 64; i++) {
    const w15 = W[i - 15];
    const w2 = W[i - 2];
    const s0 = ((w15 >>> 7) | (w15 << 25)) ^ ((w15 >>> 18) | (w15 << 14)) ^ (w15 >>> 3);
    const s1 = ((w2 >>> 17) | (w2 << 15)) ^ ((w2 >>> 19) | (w2 << 13)) ^ (w2 >>> 10);
    W[i] = (W[i - 16] + s0 + W[i - 7] + s1) | 0;
  }
  let a = state[0],
    b = state[1],
    c = state[2],
    d = state[3],
    e = state[4],
    f = state[5],
    g = state[6],
    h = state[7];
  for (let i = 0; i < 64; i++) {
    const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const t1 = (h + S1 + ((e & f) ^ (~e & g)) + K[i] + W[i]) | 0;
    const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const t2 = (S0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
    h = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = b;
    b = a;
    a = (t1 + t2) | 0;
  }
  state[0] = (state[0] + a) | 0;
  state[1] = (state[1] + b) | 0;
  state[2] = (state[2] + c) | 0;
  state[3] = (state[3] + d) | 0;
  state[4] = (state[4] + e) | 0;
  state[5] = (state[5] + f) | 0;
  state[6] = (state[6] + g) | 0;
  state[7] = (state[7] + h) | 0;
}

// Scratch space reused across calls (the data path is single-threaded): no allocation per value but the result.
const state = new Int32Array(8);
let scratch = new Uint8Array(128);
const innerDigest = new Uint8Array(32);

/** Hashes `data` continuing from `start` (a state after `prefixBytes` bytes of whole blocks) into `out`. */
function finish(start: Int32Array, prefixBytes: number, data: Uint8Array, out: Uint8Array): Uint8Array {
  state.set(start);
  const end = (((data.length + 8) >> 6) + 1) << 6;
  if (scratch.length < end) scratch = new Uint8Array(end);
  const padded = scratch;
  padded.set(data);
  padded.fill(0, data.length, end);
  padded[data.length] = 0x80;
  const bits = (data.length + prefixBytes) * 8;
  padded[end - 5] = Math.floor(bits / 2 ** 32);
  padded[end - 4] = bits >>> 24;
  padded[end - 3] = bits >>> 16;
  padded[end - 2] = bits >>> 8;
  padded[end - 1] = bits;
  for (let at = 0; at < end; at += 64) compress(state, padded, at);
  for (let i = 0; i < 8; i++) {
    out[i * 4] = state[i] >>> 24;
    out[i * 4 + 1] = state[i] >>> 16;
    out[i * 4 + 2] = state[i] >>> 8;
    out[i * 4 + 3] = state[i];
  }
  return out;
}

/** An HMAC-SHA256 function for one key (at most 64 bytes, as the derived masking keys are). */
export function hmacSha256(key: Uint8Array): (data: Uint8Array) => Uint8Array {
  if (key.length > 64) throw new RangeError("HMAC keys longer than a block are not supported here");
  const pad = (x: number) => {
    const block = new Uint8Array(64).fill(x);
    for (let i = 0; i < key.length; i++) block[i] ^= key[i];
    const s = Int32Array.from(IV);
    compress(s, block, 0);
    return s;
  };
  const inner = pad(0x36);
  const outer = pad(0x5c);
  return (data) => finish(outer, 64, finish(inner, 64, data, innerDigest), new Uint8Array(32));
}
