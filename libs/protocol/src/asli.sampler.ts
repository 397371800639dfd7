import { U64_MAX } from './bytes';
import { invalidField, ProtocolErrorCode } from './protocol.errors';

/** Integer weights sum to about 2^32: p_i is kept to 32 fractional bits. */
export const WEIGHT_SCALE = 2 ** 32;

/**
 * One decode step's sampling distribution under the ASLI rounding rule. `weights` hold exact
 * integers in float64 (no bigint in the hot path); `total` = W = their sum, exact below 2^53.
 */
export interface AsliDistribution {
  /** Top-K token ids ordered by (scaled logit desc, token id asc). */
  tokens: Int32Array;
  /** w_i = roundHalfEven(p_i * 2^32), integer-valued. */
  weights: Float64Array;
  /** W = sum of weights. */
  total: number;
}

/**
 * Round to nearest, ties to even (Python's round(), IEEE roundTiesToEven). Math.round rounds
 * ties up, which would bias every weight that lands on .5 and differ from other implementations.
 */
export function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f; // exact: x and floor(x) share the binade or f is 0
  let r: number;
  if (d < 0.5) r = f;
  else if (d > 0.5) r = f + 1;
  else r = f % 2 === 0 ? f : f + 1;
  return r + 0; // normalise -0 to 0
}

/**
 * True when (va, ia) ranks below (vb, ib) in the order (value desc, id asc): the heap keeps the
 * worst of the current top-K at its root.
 */
function worse(va: number, ia: number, vb: number, ib: number): boolean {
  return va < vb || (va === vb && ia > ib);
}

function siftDown(vals: Float64Array, ids: Int32Array, start: number, size: number): void {
  let i = start;
  const v = vals[i] as number;
  const id = ids[i] as number;
  for (;;) {
    const l = 2 * i + 1;
    if (l >= size) break;
    let c = l;
    const r = l + 1;
    if (r < size && worse(vals[r] as number, ids[r] as number, vals[l] as number, ids[l] as number)) c = r;
    if (!worse(vals[c] as number, ids[c] as number, v, id)) break;
    vals[i] = vals[c] as number;
    ids[i] = ids[c] as number;
    i = c;
  }
  vals[i] = v;
  ids[i] = id;
}

function checkLogit(v: number, i: number): void {
  // -Infinity is a legitimate mask; NaN and +Infinity would poison the softmax.
  if (v !== v || v === Infinity) {
    throw invalidField('logits', `logit ${i} is ${v}; expected finite or -Infinity`, ProtocolErrorCode.OUT_OF_RANGE);
  }
}

/**
 * DESIGN 2.2 for one decode step. Exactly, in this order (docs/protocol.md, "Sampler"):
 *   t = temperatureMilli / 1000                     (float64)
 *   s_i = float64(logit_i) / t
 *   top-K of s by (s desc, id asc)
 *   m = s_0; e_i = exp(s_i - m); Z = e_0 + e_1 + ... (left to right, in top-K order)
 *   w_i = roundHalfEven((e_i / Z) * 2^32)
 * Selection runs on the raw logits: dividing float32-derived float64 values by t > 0 is strictly
 * monotone, so it yields the same order and ties as selecting on s. temperatureMilli = 0 is
 * greedy: a one-token distribution (argmax, same tie-break) with weight 2^32.
 *
 * Hot path (once per generated token): one pass with a K-sized heap, heapsort of the K, and no
 * allocation beyond the two result arrays, which double as the heap storage. `reuse`: a
 * distribution this function returned before, overwritten in place (and returned) when its K
 * matches; the caller must be done with it.
 */
export function asliDistribution(logits: Float32Array, topK: number, temperatureMilli: number, reuse?: AsliDistribution): AsliDistribution {
  const n = logits.length;
  if (!Number.isInteger(temperatureMilli) || temperatureMilli < 0) {
    throw invalidField('temperatureMilli', 'must be a non-negative integer', ProtocolErrorCode.OUT_OF_RANGE);
  }
  const greedy = temperatureMilli === 0;
  if (!Number.isInteger(topK) || topK < 1 || topK > n) {
    throw invalidField('topK', `must be an integer in [1, ${n}] (the logits length)`, ProtocolErrorCode.OUT_OF_RANGE);
  }
  const k = greedy ? 1 : topK;
  // A decode loop passes its previous distribution back (same K every step): no allocation per
  // token. Two small typed arrays per step measurably slowed the next forward pass (~2%).
  const fits = reuse !== undefined && reuse.tokens.length === k && reuse.weights.length === k;
  const ids = fits ? reuse.tokens : new Int32Array(k);
  const vals = fits ? reuse.weights : new Float64Array(k);

  for (let i = 0; i < k; i++) {
    const v = logits[i] as number;
    checkLogit(v, i);
    vals[i] = v;
    ids[i] = i;
  }
  for (let i = (k >> 1) - 1; i >= 0; i--) siftDown(vals, ids, i, k);
  let floor = vals[0] as number; // worst of the current top-K, kept in a local for the scan
  for (let i = k; i < n; i++) {
    const v = logits[i] as number;
    // Later ids lose ties, so only a strictly larger value can enter the heap.
    if (v > floor) {
      checkLogit(v, i);
      vals[0] = v;
      ids[0] = i;
      siftDown(vals, ids, 0, k);
      floor = vals[0] as number;
    } else if (v !== v) {
      checkLogit(v, i);
    }
  }
  // Heapsort: repeatedly move the worst to the end, leaving (value desc, id asc) order.
  for (let end = k - 1; end > 0; end--) {
    const tv = vals[0] as number;
    const ti = ids[0] as number;
    vals[0] = vals[end] as number;
    ids[0] = ids[end] as number;
    vals[end] = tv;
    ids[end] = ti;
    siftDown(vals, ids, 0, end);
  }
  if ((vals[0] as number) === -Infinity) {
    throw invalidField('logits', 'every candidate logit is -Infinity', ProtocolErrorCode.OUT_OF_RANGE);
  }

  if (greedy) {
    vals[0] = WEIGHT_SCALE;
    return distribution(ids, vals, WEIGHT_SCALE, fits ? reuse : undefined);
  }

  const t = temperatureMilli / 1000;
  const m = (vals[0] as number) / t;
  let z = 0;
  for (let i = 0; i < k; i++) {
    const e = Math.exp((vals[i] as number) / t - m);
    vals[i] = e;
    z += e;
  }
  let total = 0;
  for (let i = 0; i < k; i++) {
    const w = roundHalfEven(((vals[i] as number) / z) * WEIGHT_SCALE);
    vals[i] = w;
    total += w;
  }
  return distribution(ids, vals, total, fits ? reuse : undefined);
}

function distribution(tokens: Int32Array, weights: Float64Array, total: number, reuse: AsliDistribution | undefined): AsliDistribution {
  if (reuse === undefined) return { tokens, weights, total };
  reuse.total = total;
  return reuse;
}

/**
 * The token for draw u: the first j whose cumulative weight satisfies cum_j / W > u / 2^64,
 * decided exactly. Since cum_j is an integer, cum_j * 2^64 > u * W  <=>  cum_j > floor(u * W / 2^64),
 * so one bigint product per call and a plain number loop decide it without rounding.
 */
export function sampleToken(dist: AsliDistribution, u: bigint): number {
  if (typeof u !== 'bigint' || u < 0n || u > U64_MAX) {
    throw invalidField('u', 'must be a bigint in [0, 2^64)', ProtocolErrorCode.OUT_OF_RANGE);
  }
  const { tokens, weights, total } = dist;
  if (!Number.isSafeInteger(total) || total <= 0) {
    throw invalidField('dist.total', 'must be a positive safe integer', ProtocolErrorCode.OUT_OF_RANGE);
  }
  const threshold = Number((u * BigInt(total)) >> 64n); // < total < 2^53: exact
  let cum = 0;
  for (let j = 0; j < weights.length; j++) {
    cum += weights[j] as number;
    if (cum > threshold) return tokens[j] as number;
  }
  // Unreachable when total equals the sum of weights: cum = W > floor(u * W / 2^64).
  throw invalidField('dist.total', 'exceeds the sum of the weights', ProtocolErrorCode.OUT_OF_RANGE);
}

/**
 * [cum_{j-1} / W, cum_j / W) for `token` in float64 probability units, or null when the token
 * is not in the top-K. The verifier accepts a claimed token at step t iff
 * lo - eps <= U_t < hi + eps under its own distribution.
 */
export function tokenInterval(dist: AsliDistribution, token: number): { lo: number; hi: number } | null {
  const { tokens, weights, total } = dist;
  let cum = 0;
  for (let j = 0; j < tokens.length; j++) {
    const next = cum + (weights[j] as number);
    if (tokens[j] === token) return { lo: cum / total, hi: next / total };
    cum = next;
  }
  return null;
}
