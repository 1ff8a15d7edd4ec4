/**
 * Thin wrapper over hdr-histogram-js (pure-JS build, never wasm: no async init, no native
 * memory to free). Values are recorded in ms with µs resolution: the HDR stores integer µs
 * (Math.round(ms × 1000)), range 1 µs … 1 h at 3 significant digits, so any percentile is
 * within 0.1 % of the true value. Out-of-range values are clamped (negative → 0, > 1 h → 1 h)
 * and counted in `clamped`; count, sum and max are kept exactly beside the HDR so mean and
 * max are exact. The "packed" bucket layout keeps an idle histogram at a few hundred bytes,
 * which matters because a run keeps 5 histograms per phase × group.
 * Mergeable: `encode()` → string, `Histogram.decode(s)`, `a.add(b)` (lossless, for shards).
 */
import { build, decodeFromCompressedBase64, encodeIntoCompressedBase64 } from 'hdr-histogram-js';
import type { Histogram as Hdr } from 'hdr-histogram-js';
import { LimitprobeError } from '../errors.js';

const US_PER_MS = 1000;
const HIGHEST_US = 3_600_000_000; // 1 hour
const ENCODING_VERSION = 1;

export interface HistogramStats {
  count: number;
  p50?: number;
  p90?: number;
  p95?: number;
  p99?: number;
  max?: number;
  mean?: number;
}

function newHdr(): Hdr {
  return build({
    bitBucketSize: 'packed',
    lowestDiscernibleValue: 1,
    highestTrackableValue: HIGHEST_US,
    numberOfSignificantValueDigits: 3,
    autoResize: false,
    useWebAssembly: false,
  });
}

export class Histogram {
  private hdr: Hdr;
  private n = 0;
  private sumMs = 0;
  private maxMs = -Infinity;
  /** Values outside 0 … 1 h that were clamped into range (still counted). */
  clamped = 0;

  constructor(hdr?: Hdr) {
    this.hdr = hdr ?? newHdr();
  }

  /** Record one value in ms. Non-finite values are ignored (a bug upstream, not data). */
  record(ms: number): void {
    if (!Number.isFinite(ms)) return;
    let us = Math.round(ms * US_PER_MS);
    if (us < 0 || us > HIGHEST_US) {
      this.clamped++;
      us = Math.min(Math.max(us, 0), HIGHEST_US);
    }
    this.hdr.recordValue(us);
    this.n++;
    this.sumMs += ms;
    if (ms > this.maxMs) this.maxMs = ms;
  }

  get count(): number {
    return this.n;
  }

  /** Exact max in ms; undefined when empty. */
  get max(): number | undefined {
    return this.n ? this.maxMs : undefined;
  }

  /** Exact mean in ms; undefined when empty. */
  get mean(): number | undefined {
    return this.n ? this.sumMs / this.n : undefined;
  }

  /** p in 0…100; undefined when empty. Never above the exact max (HDR reports bucket tops). */
  percentile(p: number): number | undefined {
    if (!this.n) return undefined;
    return Math.min(this.hdr.getValueAtPercentile(p) / US_PER_MS, this.maxMs);
  }

  stats(): HistogramStats {
    return {
      count: this.n,
      p50: this.percentile(50),
      p90: this.percentile(90),
      p95: this.percentile(95),
      p99: this.percentile(99),
      max: this.max,
      mean: this.mean,
    };
  }

  /** Merge another histogram into this one, losslessly. */
  add(other: Histogram): void {
    this.hdr.add(other.hdr);
    this.n += other.n;
    this.sumMs += other.sumMs;
    this.clamped += other.clamped;
    if (other.maxMs > this.maxMs) this.maxMs = other.maxMs;
  }

  /** A compact JSON string: exact count/sum/max beside the standard compressed HDR base64. */
  encode(): string {
    return JSON.stringify({
      v: ENCODING_VERSION,
      n: this.n,
      sum: this.sumMs,
      max: this.n ? this.maxMs : null,
      clamped: this.clamped,
      hdr: encodeIntoCompressedBase64(this.hdr),
    });
  }

  static decode(s: string): Histogram {
    const o = JSON.parse(s) as { v: number; n: number; sum: number; max: number | null; clamped: number; hdr: string };
    if (o.v !== ENCODING_VERSION) throw new LimitprobeError('E_HISTOGRAM', `histogram encoding v${o.v} is not supported (expected v${ENCODING_VERSION})`);
    const h = new Histogram(newHdr());
    h.hdr.add(decodeFromCompressedBase64(o.hdr, 'packed', false, HIGHEST_US));
    h.n = o.n;
    h.sumMs = o.sum;
    h.maxMs = o.max ?? -Infinity;
    h.clamped = o.clamped;
    return h;
  }
}
