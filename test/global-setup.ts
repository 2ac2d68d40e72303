import { execSync } from 'node:child_process';
import { engineName, prepareClusterTemplate } from './helpers/engine.js';

/** End-to-end tests start the built gateway (`node dist/main.js`), so build it once first. */
export default async function setup(): Promise<() => void> {
  execSync('npm run build --silent', { stdio: 'inherit' });
  const engine = { postgres: 'PostgreSQL server', embedded: 'embedded PostgreSQL server', pglite: 'PGlite' }[engineName];
  console.log(`payrelay tests on ${engine}`);
  return prepareClusterTemplate();
}
