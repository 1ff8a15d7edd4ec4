/**
 * Test support for the stores: the Redis gate (LIMITPROBE_REDIS_URL; unset → skip with a
 * visible reason, except under CI where it is a failure) and the conformance vector table.
 */
export const REDIS_URL = process.env.LIMITPROBE_REDIS_URL;

/** Why Redis tests skip, or undefined when they run. Under CI a missing URL is an error. */
export function redisGate(): string | undefined {
  if (REDIS_URL) return undefined;
  const reason = 'LIMITPROBE_REDIS_URL is not set: Redis store tests skipped (eval "$(bash .ci/start-redis)" to run them)';
  if (process.env.CI) throw new Error(`${reason}, but CI is set: the Redis store tests must run in CI`);
  console.warn(reason);
  return reason;
}

/** A key prefix unique to one test (so concurrent suites on one Redis never meet). */
export function testPrefix(name: string): string {
  return `lpt-${name}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
}
