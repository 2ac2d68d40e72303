import { ConfigError } from '../config/index.js';
import { UsageError, wantsHelp } from './args.js';
import { command as migrate } from './migrate.js';
import { command as prune } from './prune.js';
import { command as receive } from './receive.js';
import { command as redeliver } from './redeliver.js';
import { command as serve } from './serve.js';
import { command as simulate } from './simulate.js';
import type { CliCommand } from './types.js';

/** The one list of commands; the first is the default. */
const commands: CliCommand[] = [serve, migrate, prune, redeliver, simulate, receive];

function usage(): string {
  const width = Math.max(...commands.map(({ name }) => name.length));
  const lines = commands.map(({ name, summary }) => `  ${name.padEnd(width)}  ${summary}`);
  return `usage: payrelay [command] [options]

A self-hosted payment gateway. Without a command it serves.

commands:
${lines.join('\n')}

payrelay <command> --help tells more about each.`;
}

/** Runs `payrelay <args>`; resolves with the process's exit code. */
export async function runCli(args: string[]): Promise<number> {
  const [first, ...rest] = args;
  if (first === undefined) return runCommand(commands[0]!, []);
  if (first === '--help' || first === '-h' || first === 'help') {
    const topic = commands.find(({ name }) => name === rest[0]);
    console.log(topic ? topic.help : usage());
    return 0;
  }
  const command = commands.find(({ name }) => name === first);
  if (!command) {
    console.error(`payrelay: unknown command "${first}"\n\n${usage()}`);
    return 2;
  }
  return runCommand(command, rest);
}

async function runCommand(command: CliCommand, args: string[]): Promise<number> {
  if (wantsHelp(args)) {
    console.log(command.help);
    return 0;
  }
  try {
    return await command.run(args);
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`payrelay ${command.name}: ${error.message}\nsee: payrelay ${command.name} --help`);
      return 2;
    }
    if (error instanceof ConfigError) console.error(`payrelay: configuration error: ${error.message}`);
    else console.error(`payrelay ${command.name}: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
}
