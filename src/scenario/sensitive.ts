/**
 * What counts as a secret, for redaction in reports and for keeping values out of error
 * messages. Keys are only ever referenced by env var name, but users may still paste one
 * into a header or into apiKeyEnv by mistake.
 */
const SENSITIVE_HEADER = /^(authorization|proxy-authorization|cookie)$|api[-_]?key|token|secret|password|signature|credential|session/i;

export function isSensitiveHeader(name: string): boolean {
  return SENSITIVE_HEADER.test(name);
}

/** Paths (as segments) whose values must never be echoed. */
export function isSensitivePath(path: readonly PropertyKey[]): boolean {
  const last = path[path.length - 1];
  if (last === 'apiKey' || last === 'apiKeyEnv') return true;
  return path[path.length - 2] === 'headers' && typeof last === 'string' && isSensitiveHeader(last);
}

export const REDACTED = '[redacted]';

const SENSITIVE_QUERY = /key|token|secret|signature|sig|password|auth/i;

/** A URL with any user:password and secret-looking query parameters replaced. */
export function redactUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return url;
  }
  let changed = false;
  if (u.username || u.password) {
    u.username = 'redacted';
    u.password = '';
    changed = true;
  }
  for (const k of new Set(u.searchParams.keys())) {
    if (SENSITIVE_QUERY.test(k)) {
      u.searchParams.set(k, REDACTED);
      changed = true;
    }
  }
  // Untouched URLs are returned as written (URL.toString would add a trailing slash).
  return changed ? u.toString() : url;
}
