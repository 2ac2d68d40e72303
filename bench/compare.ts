/**
 * A/B: this working tree's gateway against another commit's, on the same machine in alternating
 * rounds (A B B A …), so that drift in the machine's speed falls on both alike. Each round is a
 * fresh database, a 2 s warm-up, then a closed loop; besides pays per second it reports the CPU
 * each pay cost the gateway, the database and this bench's client (from /proc, as docs/performance.md
 * explains; the client's share includes building each request, a CloudPayments signature), which says where a change saved or spent, not only whether the rate moved.
 *
 *   npm run bench:compare -- --base HEAD [--rounds 4 --seconds 8 --kinds qiwi,cloudpayments
 *                                        --engine server --connections 32 --rate 9000 --node PATH --base-node PATH
 *                                        --base-flags '--max-semi-space-size=64' --together]
 * With --rate the pays come on a schedule (open loop) and the CPU per pay is the figure to read;
 * --node runs both gateways on another Node.js binary, --base-node the base's alone: with the
 * same commit on both sides (`--base HEAD` on a clean tree) that compares two runtimes.
 * --base-flags gives the base's node other flags than payrelay's own (src/node-flags.ts); `''`
 * gives it none: with the same commit on both sides that compares the flags.
 * --together (with --rate) runs both gateways at once, each taking pays at that rate, so that a
 * minute when the machine is slow falls on both alike: on a machine whose speed moves from one
 * round to the next, the CPU per pay of rounds taken in turn can differ by more than a change
 * saves. The database's and the client's CPU are then the two gateways' together.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { cpuMsOfAll, processCpuMs } from './lib/cpu.js';
import { type Engine, type EngineDatabase, engineDatabase } from './lib/engines.js';
import { median } from './lib/median.js';
import { closedLoop, type LoadOptions, type LoadResult, openLoop } from './lib/load.js';
import { PAYS, type PayKind, paysFrom } from './lib/pays.js';
import { type BenchProcess, startGateway } from './lib/processes.js';

const ROOT = new URL('../', import.meta.url).pathname;
const VARIANTS = ['base', 'tree'] as const;
type Variant = (typeof VARIANTS)[number];

interface Sample {
  rate: number;
  gatewayUs: number;
  databaseUs: number;
  clientUs: number;
}

/** The commit `rev` built in a folder of its own (kept for the next run). */
function buildBase(rev: string): string {
  const sha = execFileSync('git', ['rev-parse', rev], { cwd: ROOT }).toString().trim();
  const dir = join(tmpdir(), `payrelay-compare-${sha.slice(0, 12)}`);
  if (!existsSync(join(dir, 'dist', 'main.js'))) {
    // The commit's files alone (git archive), not a worktree: nothing is registered in the repository.
    if (!existsSync(dir)) {
      mkdirSync(dir);
      execFileSync('sh', ['-c', `git archive ${sha} | tar -x -C "${dir}"`], { cwd: ROOT, stdio: 'inherit' });
    }
    if (!existsSync(join(dir, 'node_modules'))) symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
    execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: dir, stdio: 'inherit' });
    execFileSync('node', ['scripts/copy-sql.mjs'], { cwd: dir, stdio: 'inherit' });
  }
  return dir;
}

const clientUs = () => {
  const usage = process.cpuUsage();
  return usage.user + usage.system;
};

interface RoundOptions {
  engine: Engine;
  kind: PayKind;
  connections: number;
  seconds: number;
  /** Pays per second on a schedule (open loop) instead of as fast as answered. */
  rate?: number;
  node?: string;
  flags?: string[];
}

interface Started {
  database: EngineDatabase;
  gateway: BenchProcess;
}

/** A fresh database and the gateway of the checkout `root` on it, taking pays of the options' kind. */
async function startVariant(root: string, { engine, kind, node, flags }: RoundOptions): Promise<Started> {
  const database = await engineDatabase(engine);
  const gateway = await startGateway({ ...database.env, PROVIDERS: kind, ...PAYS[kind]!.env }, { root, node, flags });
  return { database, gateway };
}

async function stopVariant({ database, gateway }: Started): Promise<void> {
  await gateway.stop();
  await database.drop();
}

/** Pays to `origin` for `durationMs`: the measured load's ids start past the warm-up's, so its pays are new, not repeats. */
function loadOf(origin: string, { kind, connections }: RoundOptions, durationMs: number, measured = false): LoadOptions {
  const request = paysFrom(kind, measured ? 10_000_000 : 0);
  return { origin, connections, durationMs, warmUpMs: 0, ...PAYS[kind]!, request };
}

/** The measured load: on a schedule (open loop) with --rate, else as fast as answered. */
function measure(origin: string, options: RoundOptions): Promise<LoadResult> {
  const load = loadOf(origin, options, options.seconds * 1000, true);
  const { rate, connections } = options;
  return rate ? openLoop({ ...load, connections: connections * 2, rate }) : closedLoop(load);
}

async function round(root: string, options: RoundOptions): Promise<Sample> {
  const started = await startVariant(root, options);
  const { gateway } = started;
  try {
    await closedLoop(loadOf(gateway.url, options, 2000));
    const before = { gateway: processCpuMs(gateway.pid), database: cpuMsOfAll('postgres'), client: clientUs() };
    const result = await measure(gateway.url, options);
    const pays = result.counted;
    return {
      rate: result.rate,
      gatewayUs: ((processCpuMs(gateway.pid) - before.gateway) * 1000) / pays,
      databaseUs: ((cpuMsOfAll('postgres') - before.database) * 1000) / pays,
      clientUs: (clientUs() - before.client) / pays,
    };
  } finally {
    await stopVariant(started);
  }
}

/** Both variants at the same moment, each with a database of its own and the same open-loop rate. */
async function together(
  roots: Record<Variant, string>,
  variantOptions: Record<Variant, RoundOptions>,
): Promise<Record<Variant, Sample>> {
  const started = await Promise.all(VARIANTS.map((name) => startVariant(roots[name], variantOptions[name])));
  const options = variantOptions.tree;
  try {
    await Promise.all(started.map(({ gateway }) => closedLoop(loadOf(gateway.url, options, 2000))));
    const before = {
      gateways: started.map(({ gateway }) => processCpuMs(gateway.pid)),
      database: cpuMsOfAll('postgres'),
      client: clientUs(),
    };
    const results = await Promise.all(started.map(({ gateway }) => measure(gateway.url, options)));
    const pays = results.reduce((sum, result) => sum + result.counted, 0);
    const shared = {
      databaseUs: ((cpuMsOfAll('postgres') - before.database) * 1000) / pays,
      clientUs: (clientUs() - before.client) / pays,
    };
    const sample = (index: number): Sample => ({
      rate: results[index]!.rate,
      gatewayUs: ((processCpuMs(started[index]!.gateway.pid) - before.gateways[index]!) * 1000) / results[index]!.counted,
      ...shared,
    });
    return { base: sample(0), tree: sample(1) };
  } finally {
    await Promise.all(started.map(stopVariant));
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      base: { type: 'string', default: 'HEAD' },
      rounds: { type: 'string', default: '4' },
      seconds: { type: 'string', default: '8' },
      kinds: { type: 'string', default: 'qiwi,cloudpayments' },
      engine: { type: 'string', default: process.env.DATABASE_URL || process.env.PG_HOST ? 'server' : 'embedded' },
      connections: { type: 'string', default: '32' },
      rate: { type: 'string' },
      node: { type: 'string' },
      'base-node': { type: 'string' },
      'base-flags': { type: 'string' },
      together: { type: 'boolean', default: false },
    },
  });
  const variants = { base: buildBase(values.base), tree: ROOT };
  const nodes = { base: values['base-node'] ?? values.node ?? process.execPath, tree: values.node ?? process.execPath };
  const baseFlags = values['base-flags']?.split(' ').filter(Boolean);
  const version = (name: keyof typeof nodes) => execFileSync(nodes[name], ['--version']).toString().trim();
  const engine = values.engine as Engine;
  if (values.together && values.rate === undefined) throw new Error('--together needs --rate');
  console.log(`| kind | variant | pays/s (median) | gateway µs/pay | database µs/pay | client µs/pay | rounds |`);
  console.log('| --- | --- | --- | --- | --- | --- | --- |');
  for (const kind of values.kinds.split(',') as PayKind[]) {
    const samples: Record<string, Sample[]> = { base: [], tree: [] };
    const optionsOf = (name: Variant): RoundOptions => ({
      engine,
      kind,
      connections: Number(values.connections),
      seconds: Number(values.seconds),
      rate: values.rate === undefined ? undefined : Number(values.rate),
      node: nodes[name],
      flags: name === 'base' ? baseFlags : undefined,
    });
    const variantOptions = { base: optionsOf('base'), tree: optionsOf('tree') };
    for (let index = 0; index < Number(values.rounds); index++) {
      if (values.together) {
        const pair = await together(variants, variantOptions);
        for (const name of VARIANTS) {
          samples[name]!.push(pair[name]);
          console.error(
            `  ${kind} ${name} round ${index + 1}, together: ${pair[name].rate}/s, gateway ${pair[name].gatewayUs.toFixed(1)} µs/pay`,
          );
        }
        continue;
      }
      const order = index % 2 === 0 ? (['base', 'tree'] as const) : (['tree', 'base'] as const);
      for (const name of order) {
        const sample = await round(variants[name], variantOptions[name]);
        samples[name]!.push(sample);
        console.error(`  ${kind} ${name} round ${index + 1}: ${sample.rate}/s, gateway ${sample.gatewayUs.toFixed(1)} µs/pay`);
      }
    }
    for (const [name, list] of Object.entries(samples)) {
      const of = (field: keyof Sample) => median(list.map((sample) => sample[field]));
      const flagged = name === 'base' && baseFlags ? `, flags '${baseFlags.join(' ')}'` : '';
      const label = `${name === 'base' ? values.base : 'working tree'} on Node ${version(name as keyof typeof nodes)}${flagged}`;
      console.log(
        `| ${kind} | ${label} | ${Math.round(of('rate'))} | ${of('gatewayUs').toFixed(1)} | ${of('databaseUs').toFixed(1)} | ${of('clientUs').toFixed(1)} | ${list.map((sample) => sample.rate).join(', ')} |`,
      );
    }
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exit(1);
  },
);
