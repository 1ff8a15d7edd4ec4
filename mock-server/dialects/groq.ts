/**
 * Groq (reference §5): OpenAI-shaped, but `x-ratelimit-limit-requests` / `-remaining-requests`
 * / `-reset-requests` come from the requests-per-day bucket, `retry-after` (seconds) only on
 * 429, and the 429 text names the service tier and Groq's docs.
 */
import { formatGoDuration } from '../../src/protocol/duration.js';
import { RULE_LABEL } from '../core/rules.js';
import { err, OPENAI_DIALECT, OPENAI_ERRORS } from './openai.js';
import type { DialectSpec } from './types.js';

const LABEL = { ...RULE_LABEL, rpm: 'requests per minute (RPM)', tpm: 'tokens per minute (TPM)', tpd: 'tokens per day (TPD)' };

export const GROQ_DIALECT: DialectSpec = {
  ...OPENAI_DIALECT,
  name: 'groq',
  headline: { requests: ['rpd', 'rpm'], tokens: ['tpm', 'tpd'] },
  headers: { style: 'openai', on429: true, retryAfter: 'seconds' },
  errors: {
    ...OPENAI_ERRORS,
    rateLimited: (c) =>
      err(
        429,
        `Rate limit reached for model \`${c.model}\` in organization \`${c.org}\` service tier \`on_demand\` on ${c.rule === 'burst' ? 'requests' : LABEL[c.rule]}: Limit ${c.limit}, Used ${c.used}, Requested ${c.requested}. Please try again in ${formatGoDuration(c.waitMs)}. Visit https://console.groq.com/docs/rate-limits for more information.`,
        c.rule === 'rpm' || c.rule === 'rpd' ? 'requests' : 'tokens',
        null,
        'rate_limit_exceeded',
      ),
  },
};
