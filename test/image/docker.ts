import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** One docker command; its stdout, trimmed. A failure carries docker's own message. */
export async function docker(...args: string[]): Promise<string> {
  try {
    const { stdout } = await run('docker', args, { maxBuffer: 16 * 1024 * 1024, timeout: 120_000 });
    return stdout.trim();
  } catch (error) {
    const { stderr, stdout } = error as { stderr?: string; stdout?: string };
    throw new Error(`docker ${args.join(' ')} failed: ${stderr || stdout || (error as Error).message}`);
  }
}

/** Both streams of a container's output, as `docker logs` gives them. */
export async function logs(container: string): Promise<string> {
  const { stdout, stderr } = await run('docker', ['logs', container], { maxBuffer: 16 * 1024 * 1024 });
  return stdout + stderr;
}

export interface ContainerOptions {
  env?: Record<string, string>;
  /** host path -> container path, read-only */
  mounts?: Record<string, string>;
  extra?: string[];
}

/**
 * Starts a container of `image` on the host's network (never a bridge) and returns its id.
 * Containers are named so a failed run leaves nothing anonymous behind.
 */
export async function startContainer(image: string, name: string, options: ContainerOptions = {}) {
  const args = ['run', '--detach', '--network', 'host', '--name', name];
  for (const [key, value] of Object.entries(options.env ?? {})) args.push('--env', `${key}=${value}`);
  for (const [from, to] of Object.entries(options.mounts ?? {})) args.push('--volume', `${from}:${to}:ro`);
  args.push(...(options.extra ?? []), image);
  return docker(...args);
}

export async function removeContainer(name: string): Promise<void> {
  await docker('rm', '--force', '--volumes', name).catch(() => undefined);
}

/** The address payrelay printed on start-up, once it listens. */
export async function listeningAddress(container: string, timeoutMs = 120_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const output = await logs(container);
    const match = /payrelay listening on (http:\/\/[\d.:]+)/.exec(output);
    if (match) return match[1]!;
    const state = await docker('inspect', '--format', '{{.State.Status}}', container);
    if (state === 'exited') throw new Error(`container ${container} exited before listening:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`container ${container} did not listen within ${timeoutMs} ms:\n${await logs(container)}`);
}
