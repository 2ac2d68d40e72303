/** Whether an error means "the server cannot be reached now" rather than "this will never work". */
function isUnreachable(error: unknown): boolean {
  const { code, message = '' } = (error ?? {}) as { code?: string; message?: string };
  if (code && ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH'].includes(code))
    return true;
  // 57P01..57P03: the server is shutting down or starting up.
  if (code && /^57P0[1-3]$/.test(code)) return true;
  return /Connection terminated|timeout expired|connection timeout/i.test(message);
}

/**
 * Runs `work` until the database answers: a server that is still starting (or briefly away)
 * delays start-up instead of failing it. Anything else (a wrong password, bad SQL) fails at once.
 */
export async function untilReachable<T>(work: () => Promise<T>, onRetry: (error: unknown, inMs: number) => void): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (!isUnreachable(error)) throw error;
      const inMs = Math.min(10_000, 500 * 2 ** attempt);
      onRetry(error, inMs);
      await new Promise((resolve) => setTimeout(resolve, inMs));
    }
  }
}
