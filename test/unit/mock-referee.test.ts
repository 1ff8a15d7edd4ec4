/** The referee's per-tenant ledger (§7.28): retry groups, early retries, burst peaks, CSV rows. */
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/clock.js';
import { Referee, refereeCsv, refereeRows, REFEREE_COLUMNS, fingerprint } from '../../mock-server/core/referee.js';
import { MockCore } from '../../mock-server/core/core.js';
import { inProcess } from '../../mock-server/testing.js';

describe('Referee', () => {
  it('x-stainless-retry-count groups attempts; early retries and how early', () => {
    const clock = new VirtualClock(0);
    const r = new Referee(() => clock.now());
    const fp = fingerprint('openai', '{"a":1}');
    r.record({ tenant: 't', fingerprint: fp, retryCount: 0 }, { status: 429, retryAfterMs: 2000 });
    clock.advance(500);
    r.record({ tenant: 't', fingerprint: fp, retryCount: 1 }, { status: 429, retryAfterMs: 1000 }); // 1500 ms early
    clock.advance(1000);
    r.record({ tenant: 't', fingerprint: fp, retryCount: 2 }, { status: 200 }); // on time
    r.record({ tenant: 't', fingerprint: fp, retryCount: 0 }, { status: 200 }); // a new logical request, same body
    expect(r.ledger().t).toMatchObject({
      requests: 4,
      ok: 2,
      rateLimited: 2,
      retryGroups: 2,
      retriedGroups: 1,
      retries: 2,
      maxAttemptsInGroup: 3,
      earlyRetries: 1,
      earlyMsTotal: 1500,
      earlyMsMax: 1500,
      burstPeak1s: 2,
    });
  });

  it('idempotency keys group exactly; without headers a same-body attempt after a retryable failure is a retry', () => {
    const clock = new VirtualClock(0);
    const r = new Referee(() => clock.now());
    r.record({ tenant: 'a', fingerprint: 'x', idempotencyKey: 'k1' }, { status: 503 });
    r.record({ tenant: 'a', fingerprint: 'y', idempotencyKey: 'k1' }, { status: 200 });
    r.record({ tenant: 'a', fingerprint: 'z' }, { status: 200 });
    r.record({ tenant: 'a', fingerprint: 'z' }, { status: 200 }); // after a success: a new request
    r.record({ tenant: 'a', fingerprint: 'q' }, { status: 429, fatal: true });
    r.record({ tenant: 'a', fingerprint: 'q' }, { status: 429, fatal: true }); // retrying a fatal answer
    r.record({ tenant: 'b', fingerprint: 'w' }, { status: 400, fatal: true });
    const l = r.ledger();
    expect(l.a).toMatchObject({ requests: 6, retryGroups: 4, retries: 2, retriesWithoutAdvice: 1, retriesAfterFatal: 1, quotaOrTooLarge: 2, serverErrors: 1 });
    expect(l.b).toMatchObject({ requests: 1, clientErrors: 1 });
  });

  it('holds only the groups a retry could still join: a success ends a fingerprint group, not a key group', () => {
    const clock = new VirtualClock(0);
    const r = new Referee(() => clock.now());
    for (let i = 0; i < 1000; i++) r.record({ tenant: 't', fingerprint: fingerprint('openai', `{"n":${i}}`) }, { status: 200 });
    expect(r.heldGroups()).toBe(0);
    const fp = fingerprint('openai', '{"n":"x"}');
    r.record({ tenant: 't', fingerprint: fp }, { status: 429, retryAfterMs: 100 });
    expect(r.heldGroups()).toBe(1); // waiting for its retry
    clock.advance(100);
    r.record({ tenant: 't', fingerprint: fp }, { status: 200 }); // the retry joins, then the group ends
    expect(r.heldGroups()).toBe(0);
    r.record({ tenant: 't', fingerprint: fp, idempotencyKey: 'k1' }, { status: 200 });
    expect(r.heldGroups()).toBe(1); // a repeated key is a retry whatever came before
    r.record({ tenant: 't', fingerprint: fp, idempotencyKey: 'k1' }, { status: 200 });
    expect(r.ledger().t).toMatchObject({ requests: 1004, retries: 2, retryGroups: 1002 });
  });

  it('burst peak is the most attempts in any sliding second', () => {
    const clock = new VirtualClock(0);
    const r = new Referee(() => clock.now());
    for (const t of [0, 100, 200, 900, 1150, 1199, 1300, 1950, 2500]) {
      clock.advance(t - clock.now());
      r.record({ tenant: 't', fingerprint: String(t) }, { status: 200 });
    }
    // (−100, 900], (199, 1199], (300, 1300], (950, 1950] each hold 4; no second holds 5.
    expect(r.ledger().t!.burstPeak1s).toBe(4);
  });

  it('refereeRows: one row per tenant, REFEREE_COLUMNS keys, empty cells when not applicable; CSV', () => {
    const clock = new VirtualClock(10);
    const r = new Referee(() => clock.now());
    r.record({ tenant: 'zed', fingerprint: 'a', retryCount: 0 }, { status: 200 });
    r.record({ tenant: 'amy', fingerprint: 'a', retryCount: 0 }, { status: 429, retryAfterMs: 100 });
    clock.advance(40);
    r.record({ tenant: 'amy', fingerprint: 'a', retryCount: 1 }, { status: 200 });
    const rows = refereeRows(r.ledger());
    expect(rows.map((x) => x.tenant)).toEqual(['amy', 'zed']);
    expect(Object.keys(rows[0]!)).toEqual([...REFEREE_COLUMNS]);
    expect(rows[0]).toMatchObject({ early_retries: 1, early_ms_mean: 60, early_ms_max: 60, first_ms: 10, last_ms: 50 });
    expect(rows[1]).toMatchObject({ early_retries: 0, early_ms_mean: '', early_ms_max: '' });
    const csv = refereeCsv(r.ledger()).trim().split('\n');
    expect(csv[0]).toBe(REFEREE_COLUMNS.join(','));
    expect(csv).toHaveLength(3);
  });
});

describe('the referee behind the routes', () => {
  it('sees an early retry and a patient one through the handlers (retry-after-ms)', async () => {
    const clock = new VirtualClock(0);
    const core = new MockCore({ clock, rpm: 1, latency: { ttftMs: 0, tokensPerSecond: 0, jitter: 0 } });
    const mock = inProcess(core);
    const body = { messages: [{ role: 'user', content: 'hi' }], max_tokens: 1 };
    const send = (n: number) => mock.post('/v1/chat/completions', body, { 'x-stainless-retry-count': String(n) });
    expect((await send(0)).status).toBe(200);
    expect((await send(0)).status).toBe(429); // advised 60 s
    clock.advance(10_000);
    const again = await send(1); // 50 s early
    expect(again.status).toBe(429);
    // Used = L − ⌊remaining⌋ = 1 still, so the advice is a full 60 s again (OpenAI's arithmetic).
    expect(again.headers.get('retry-after-ms')).toBe('60000');
    clock.advance(60_000);
    expect((await send(2)).status).toBe(200);
    expect(core.referee.ledger().default).toMatchObject({ requests: 4, rateLimited: 2, retries: 2, earlyRetries: 1, earlyMsMax: 50_000 });
  });
});
