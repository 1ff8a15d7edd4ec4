/**
 * Probe once, mock forever: a key whose buckets' capacities differ from their refill is probed
 * in virtual time, --emit-profile's YAML becomes the mock's profile, and that mock holds the
 * same capacities (within the probe's 5%). With burst = refill no capacity is written.
 */
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { VirtualClock } from '../../src/clock.js';
import { profileYaml } from '../../src/probe/output.js';
import { probeSimulated } from '../../src/probe/sim.js';
import { MockCore } from '../../mock-server/core/core.js';
import type { Profile } from '../../mock-server/profiles/index.js';

const prices = { inputPerMTokens: 0.2, outputPerMTokens: 0.6 };

async function emitted(mock: { rpm: number; tpm: number; rpmCapacity?: number; tpmCapacity?: number }) {
  const r = await probeSimulated({ mock: { profile: 'qwen2', contextWindow: 16_000, seed: 7, ...mock }, only: ['rpm', 'burst', 'sub_minute', 'context', 'tpm'], prices, budgetUsd: 0.5, maxRequests: 800 });
  return parseYaml(profileYaml(r, { name: 'probed', model: 'm', dialect: 'openai', prices })) as Profile;
}

describe('probe --emit-profile with burst ≠ refill', () => {
  it('writes rpmCapacity / tpmCapacity, and the mock built from it enforces them', async () => {
    const p = await emitted({ rpm: 90, tpm: 120_000, rpmCapacity: 20, tpmCapacity: 300_000 });
    const m = p.models[0]!;
    expect(Math.abs(m.rpmCapacity! - 20) / 20).toBeLessThanOrEqual(0.05);
    expect(Math.abs(m.tpmCapacity! - 300_000) / 300_000).toBeLessThanOrEqual(0.05);
    const core = new MockCore({ profile: p, clock: new VirtualClock(0) });
    expect(core.state().buckets.requests).toMatchObject({ limit: m.rpm, capacity: m.rpmCapacity, remaining: m.rpmCapacity });
    expect(core.state().buckets.tokens).toMatchObject({ limit: m.tpm, capacity: m.tpmCapacity });
  });

  it('writes no capacity when the bucket holds a minute of refill', async () => {
    const m = (await emitted({ rpm: 90, tpm: 120_000 })).models[0]!;
    expect(m.rpmCapacity).toBeUndefined();
    expect(m.tpmCapacity).toBeUndefined();
  });
});
