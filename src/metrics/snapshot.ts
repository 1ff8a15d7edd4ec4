/**
 * A MetricsCollector's state as a file (a shard's `metrics.json`): counters per (phase, group)
 * and the six HDR histograms of each cell, encoded (HdrHistogram V2 compressed base64, with the
 * exact count/sum/max/min beside), plus the ONE histogram configuration every shard uses.
 * States add up losslessly (MetricsCollector.importState): with identical configurations the
 * HDR `add` is a bucket-wise integer sum, so the merged histogram is the histogram of the
 * union of the samples and its percentiles are exactly a single run's (scale-anchors §2.3).
 * A state written with another configuration is refused, never re-bucketed.
 */
import { decodeFromCompressedBase64 } from 'hdr-histogram-js';
import { ConfigError } from '../errors.js';
import type { CollectorState, MetricsCollector } from './summary.js';

/** The configuration histogram.ts builds every Histogram with (values: integer µs). */
export const HISTOGRAM_CONFIG = {
  unit: 'us',
  lowestDiscernibleValue: 1,
  highestTrackableValue: 3_600_000_000,
  numberOfSignificantValueDigits: 3,
  bitBucketSize: 'packed',
} as const;

export type HistogramConfig = {
  unit: string;
  lowestDiscernibleValue: number;
  highestTrackableValue: number;
  numberOfSignificantValueDigits: number;
  bitBucketSize: string;
};

export const METRICS_FORMAT = 'limitprobe-metrics';
export const METRICS_VERSION = 1;

export interface MetricsFile {
  format: typeof METRICS_FORMAT;
  v: number;
  histogram: HistogramConfig;
  state: CollectorState;
}

export function metricsFile(collector: MetricsCollector): MetricsFile {
  return { format: METRICS_FORMAT, v: METRICS_VERSION, histogram: { ...HISTOGRAM_CONFIG }, state: collector.exportState() };
}

export const sameHistogramConfig = (a: HistogramConfig, b: HistogramConfig): boolean =>
  a.unit === b.unit &&
  a.lowestDiscernibleValue === b.lowestDiscernibleValue &&
  a.highestTrackableValue === b.highestTrackableValue &&
  a.numberOfSignificantValueDigits === b.numberOfSignificantValueDigits &&
  a.bitBucketSize === b.bitBucketSize;

/**
 * The configuration an encoded HDR actually carries (its V2 header: lowest discernible value,
 * highest trackable value, significant digits). Used to check files against their declaration.
 */
export function encodedHdrConfig(b64: string): Pick<HistogramConfig, 'lowestDiscernibleValue' | 'numberOfSignificantValueDigits'> {
  const h = decodeFromCompressedBase64(b64, 'packed', false);
  // The JS implementation keeps the header's lowest value; the typings expose only the digits.
  const lowest = (h as unknown as { lowestDiscernibleValue?: number }).lowestDiscernibleValue;
  return { lowestDiscernibleValue: lowest ?? HISTOGRAM_CONFIG.lowestDiscernibleValue, numberOfSignificantValueDigits: h.numberOfSignificantValueDigits };
}

/** Parse and check a metrics file; `source` names it in errors. */
export function readMetricsFile(text: string, source: string): MetricsFile {
  let o: Partial<MetricsFile>;
  try {
    o = JSON.parse(text) as Partial<MetricsFile>;
  } catch (e) {
    throw new ConfigError(`${source}: expected a limitprobe metrics file (JSON), found unparsable text: ${(e as Error).message}`);
  }
  if (o.format !== METRICS_FORMAT || o.v !== METRICS_VERSION || !o.state || !o.histogram) {
    throw new ConfigError(`${source}: expected ${METRICS_FORMAT} v${METRICS_VERSION}, found ${JSON.stringify({ format: o.format, v: o.v })}`);
  }
  if (!sameHistogramConfig(o.histogram, HISTOGRAM_CONFIG)) {
    throw new ConfigError(
      `${source}: histograms were recorded with ${JSON.stringify(o.histogram)}, expected ${JSON.stringify(HISTOGRAM_CONFIG)}; merging different configurations would lose precision, so it is refused`,
    );
  }
  // The declaration must match what the encoded HDRs carry.
  for (const c of o.state.cells) {
    for (const h of Object.values(c.histograms)) {
      const got = encodedHdrConfig((JSON.parse(h.hdr) as { hdr: string }).hdr);
      if (got.lowestDiscernibleValue !== HISTOGRAM_CONFIG.lowestDiscernibleValue || got.numberOfSignificantValueDigits !== HISTOGRAM_CONFIG.numberOfSignificantValueDigits) {
        throw new ConfigError(`${source}: a histogram of ${c.phase}/${c.group} carries ${JSON.stringify(got)}, expected ${JSON.stringify(HISTOGRAM_CONFIG)}`);
      }
    }
  }
  return o as MetricsFile;
}
