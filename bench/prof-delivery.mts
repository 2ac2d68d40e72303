import { spawn } from 'node:child_process';
import { freshDatabase, insertBacklog } from './lib/database.js';
import { startReceiver } from './lib/receiver.js';
const n = Number(process.argv[2] ?? 20000);
const database = await freshDatabase();
await insertBacklog(database, n);
const receiver = await startReceiver();
const started = performance.now();
const child = spawn(process.execPath, [...(process.env.PROF ? ['--cpu-prof', '--cpu-prof-dir=/tmp/prof'] : []), 'dist/main.js'], {
  env: { ...process.env, ...database.env, HOST: '127.0.0.1', PORT: '0', QIWI_WEBHOOK_URL: receiver.url, WEBHOOK_CONCURRENCY: process.env.WC ?? '16' },
  stdio: ['ignore', 'ignore', 'inherit'],
});
await receiver.until(() => receiver.delivered.size >= n, 'all', 120_000);
console.log(`delivered ${n} in ${((performance.now() - started) / 1000).toFixed(2)} s (incl. start)`);
child.kill('SIGTERM');
await new Promise((r) => child.on('close', r));
await receiver.close();
if (!process.env.KEEP) await database.drop(); else console.log(JSON.stringify(database.env));
