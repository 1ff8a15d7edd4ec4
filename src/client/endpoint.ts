/** Where and how to authenticate, per dialect (the paths under the user's base URL). */
import type { Dialect } from '../metrics/classify.js';

export function chatPath(base: URL, _dialect: Dialect): string {
  const p = base.pathname.replace(/\/+$/, '');
  return `${p}/chat/completions${base.search}`;
}

export function authHeaders(dialect: Dialect, apiKey: string | undefined): Record<string, string> {
  if (!apiKey) return {};
  if (dialect === 'azure') return { 'api-key': apiKey };
  if (dialect === 'anthropic') return { 'x-api-key': apiKey, 'anthropic-version': '2023-06-01' };
  return { authorization: `Bearer ${apiKey}` };
}
