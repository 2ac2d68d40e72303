/**
 * The flags node runs payrelay with, wherever payrelay starts it: `npm start`, the `payrelay`
 * command (main.ts's first line), the image's entrypoint, and the tests' and benches' gateways.
 * A flag for V8's heap cannot be set once the process runs, so each of those names it.
 *
 * A semi-space (half the young generation) of at most 16 MB, Node.js 20's own default. Node.js 24
 * grows it fourfold under load: the gateway's memory kept rising for minutes and a signed card
 * pay cost more CPU, the young objects of each pay no longer staying in the CPU's caches
 * (decision 015, docs/decisions/015-a-young-generation-of-16-mb.md).
 *
 * No full collection of the old generation before it holds 64 MB. Left to itself, V8 keeps the
 * old generation's limit a few MB above what survives, so under load it marks the whole heap
 * every few seconds; on a core the gateway shares, each marking held its answers up, and that
 * set the p99 (decision 017, docs/decisions/017-fewer-full-collections.md).
 */
export const NODE_FLAGS = ['--max-semi-space-size=16', '--initial-old-space-size=64'];
