/**
 * Shows every attempt to a simulated mock core's referee, as the HTTP mock's routes do for
 * real requests (tenant = client group, one retry group per request id), so simulated runs
 * get the same referee findings (early retries, retry groups) as live ones.
 */
import type { AttemptResult, Dispatch, PlannedRequest } from '../exec/ports.js';
import type { MockCore } from '../../mock-server/core/index.js';

export class RefereeDispatch implements Dispatch {
  constructor(
    private readonly inner: Dispatch,
    private readonly core: MockCore,
  ) {}

  async send(req: PlannedRequest, attempt: number, signal: AbortSignal): Promise<AttemptResult> {
    const h = this.core.referee.arrive({ tenant: req.group, fingerprint: `r${req.requestId}`, retryCount: attempt - 1 });
    const r = await this.inner.send(req, attempt, signal);
    const fatal = r.outcome === 'quota_exhausted' || r.outcome === 'context_exceeded' || r.errorCode === 'request_too_large';
    h.answer({ status: r.status ?? 0, ...(r.retryAfterMs !== undefined ? { retryAfterMs: r.retryAfterMs } : {}), fatal });
    return r;
  }

  close(): Promise<void> {
    return this.inner.close?.() ?? Promise.resolve();
  }
}
