/**
 * One `payrelay <command>`: its own module under src/cli/, listed once in src/cli/index.ts.
 * `run` gets the arguments after the command's name and returns the process's exit code;
 * `--help` on any command prints `help`.
 */
export interface CliCommand {
  name: string;
  /** One line for `payrelay --help`. */
  summary: string;
  /** The whole usage text for `payrelay <name> --help`. */
  help: string;
  run(args: string[]): Promise<number>;
}
