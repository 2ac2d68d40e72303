import { execSync } from 'node:child_process';

/** End-to-end tests start the built gateway (`node dist/main.js`), so build it once first. */
export default function setup(): void {
  execSync('npm run build --silent', { stdio: 'inherit' });
  const engine = process.env.DATABASE_URL || process.env.PG_HOST ? 'PostgreSQL server' : 'PGlite';
  console.log(`payrelay tests on ${engine}`);
}
