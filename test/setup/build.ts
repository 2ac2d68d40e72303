import { execSync } from 'node:child_process';

const run = globalThis as { payrelayBuilt?: boolean };

/**
 * The process tests start the built gateway (`node dist/main.js`): built once per run, before
 * any of them. CI builds once for all its runs and says so with TEST_BUILT=1.
 */
export default function build(): void {
  if (run.payrelayBuilt || process.env.TEST_BUILT === '1') return;
  execSync('npm run build --silent', { stdio: 'inherit' });
  run.payrelayBuilt = true;
}
