/**
 * The token twin of a sub-minute request layer (TPS = TPM/60 over 1 s; TPM/6 over 10 s).
 *
 * A layer never makes a request impossible: a request larger than it passes when the layer is
 * full and empties it. So one request cannot show its size; two can. From full layers, send x
 * tokens, then y tokens δ later (δ: the earliest the request layer admits a second request).
 * The layer holds C − x + r·δ at the second (r = the token refill, known from the TPM stage,
 * which a layer shares), so y passes iff x + y ≤ C + r·δ. Bisection on S = x + y (x ≈ y ≈ S/2)
 * gives C. Between trials the probe waits until both layers and the minute buckets have refilled.
 *
 * When the request layer holds less than 2 requests, δ is most of a window; at ≤ 1 request
 * (RPM ≤ 60 per second, RPM ≤ 6 per 10 s) the token layer refills completely in δ and cannot be
 * measured: reported undetermined.
 */
import type { Knowledge, ProbeGen } from './strategies.js';
import type { LimitFinding, StageRequest } from './types.js';

export interface TokenLayerOptions {
  /** The request layer's window (ms), from the request probe (burst / refill). */
  layerMs: number;
  /** Relative width at which the bisection stops (default 0.02). */
  precision?: number;
}

const name = 'token_layer';
const unit = 'tokens (sub-minute layer)';

export function* tokenLayerProbe(k: Knowledge, o: TokenLayerOptions): ProbeGen {
  const strategy = 'token-layer';
  const req = k.requests;
  const tok = k.tokens;
  const W = o.layerMs;
  const precision = o.precision ?? 0.02;
  const undetermined = (note: string, low?: number, high?: number): LimitFinding[] => [
    { name, method: 'undetermined', unit, note, ...(low !== undefined ? { low: Math.floor(low) } : {}), ...(high !== undefined ? { high: Math.ceil(high) } : {}) },
  ];
  if (!req || !tok || !(W > 0)) return undetermined('no sub-minute request layer or no token refill measured first');
  const rT = tok.rPerMs;
  // The request layer: capacity req.burst, refill req.rPerMs. After one request it holds
  // burst − 1; the second needs 1 (a 2% margin on the timing, plus a millisecond).
  const delta = req.burst >= 2 ? 0 : Math.ceil(((2 - req.burst) / req.rPerMs) * 1.02) + 1;
  if (delta >= 0.95 * W) return undetermined(`the request layer holds ${req.burst.toFixed(2)} requests: a second request passes only after the token layer has refilled`);
  const carry = rT * delta; // tokens the layer refills between the two requests
  const guess = rT * W; // a layer with the minute's refill: capacity = refill × window
  const maxPrompt = Math.max(2, (k.maxPrompt ?? 32_768) - 1);

  const trial = (S: number): StageRequest[] => {
    const a = Math.ceil(S / 2);
    return [
      { offsetMs: 0, promptTokens: Math.max(1, a - 1), maxTokens: 1 },
      { offsetMs: delta, promptTokens: Math.max(1, S - a - 1), maxTokens: 1 },
    ];
  };
  // Both layers full, the minute token bucket back above S, the request rate well under its limit.
  const gapFor = (S: number) => Math.ceil(Math.max(1.5 * W, (1.2 * S) / rT, 2 / (0.7 * req.rPerMs)));

  let lo: number | undefined; // S with both admitted
  let hi: number | undefined; // S with the second refused
  let S = Math.round(guess + carry);
  let first = true;
  let used = 0;
  for (let n = 0; n < 24; n++) {
    if (lo !== undefined && hi !== undefined && hi - lo <= precision * lo) break;
    if (Math.ceil(S / 2) > maxPrompt) return undetermined(`the layer is larger than two prompts of the context window (${maxPrompt})`, lo !== undefined ? lo - carry : undefined);
    const reqs = trial(S);
    if (k.requestsLeft < reqs.length || reqs.reduce((x, q) => x + k.costOf(q.promptTokens, q.maxTokens), 0) > k.usdLeft * 0.8) break;
    // The first trial follows the TPM stage, which left the minute bucket near empty: wait for 3 layers' worth.
    const s = yield { strategy, name: `pair-${S}`, waitMs: first ? Math.max(gapFor(S), Math.ceil((3 * guess) / rT)) : gapFor(S), requests: reqs };
    first = false;
    const [a, b] = s.attempts.map((x) => x.result);
    used++;
    if (a?.outcome !== 'ok') {
      if (used > 3 && lo === undefined && hi === undefined) return undetermined(`the first request of a pair was refused (${a?.outcome ?? 'not sent'}) after a full wait`);
      continue; // not from full layers: the same S again after the next wait
    }
    if (b?.outcome === 'ok') lo = Math.max(lo ?? 0, S);
    else if (b?.outcome === 'rate_limited_tokens' || b?.outcome === 'rate_limited_other') hi = Math.min(hi ?? Infinity, S);
    else continue; // a request refusal or an error says nothing about the token layer
    if (hi === undefined) S = Math.round(S * 1.5);
    else if (lo === undefined) S = Math.max(2, Math.round(S / 1.5));
    else S = Math.round((lo + hi) / 2);
  }
  if (lo === undefined || hi === undefined) return undetermined('the bisection did not bracket the layer within the budget/request cap', lo !== undefined ? lo - carry : undefined, hi !== undefined ? hi - carry : undefined);
  const cLo = lo - carry;
  const cHi = hi - carry;
  const value = Math.round((cLo + cHi) / 2);
  return [
    {
      name,
      value,
      low: Math.floor(cLo),
      high: Math.ceil(cHi),
      method: 'bisection',
      unit,
      note: `pairs of requests ${delta} ms apart from full layers; the layer refills at the token rate (≈ ${Math.round(rT * 60_000)}/min), window ≈ ${(value / rT / 1000).toFixed(2)} s`,
    },
  ];
}
