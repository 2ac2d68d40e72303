import { onTestFinished, TestRunner } from 'vitest';

/**
 * Ties a helper's teardown to the test that started it: `close` runs when that test ends,
 * passed or failed. Started in a beforeAll (shared by a file's tests), it is the file's to close
 * in its afterAll. Returns `close` made safe to call twice.
 */
export function closeWithTest<T>(close: () => Promise<T>): () => Promise<T> {
  let closing: Promise<T> | undefined;
  const once = () => (closing ??= close());
  if (TestRunner.getCurrentTest()) onTestFinished(async () => void (await once()));
  return once;
}
