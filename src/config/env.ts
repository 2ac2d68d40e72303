/**
 * Reading environment variables into typed values. Every failure names the variable and says
 * what is wrong in one line, so a bad deployment stops with a message an operator can act on.
 */
import { redactUrl } from '../util/redact-url.js';
import { isOwnSecret, placeholderProblem } from './placeholders.js';
import { catalogued, checkDefault } from './variables.js';

export type Env = Record<string, string | undefined>;

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    problem: string,
  ) {
    super(`${variable} ${problem}`);
  }
}

/** An EnvReader for one instance's variables: `string('ENCODING')` reads `PAY24_ENCODING`. */
export interface InstanceEnv {
  /** The full name of one of its variables, for a message. */
  name(suffix: string): string;
  string(suffix: string): string | undefined;
  secret(suffix: string): string | undefined;
  int(suffix: string, fallback: number, min: number, max: number): number;
  bool(suffix: string, fallback?: boolean): boolean;
  url(suffix: string, schemes?: string[]): URL | undefined;
}

export class EnvReader {
  constructor(private readonly env: Env) {}

  /** The variables under `<prefix>_`, as an instance of a protocol reads them. */
  scoped(prefix: string): InstanceEnv {
    const name = (suffix: string) => `${prefix}_${suffix}`;
    return {
      name,
      string: (suffix) => this.string(name(suffix)),
      secret: (suffix) => this.secret(name(suffix)),
      int: (suffix, fallback, min, max) => this.int(name(suffix), fallback, min, max),
      bool: (suffix, fallback) => this.bool(name(suffix), fallback),
      url: (suffix, schemes) => this.url(name(suffix), schemes),
    };
  }

  /** The trimmed value, or undefined when unset or empty (an empty variable counts as unset). */
  string(name: string): string | undefined {
    catalogued(name);
    const value = this.env[name]?.trim();
    return value ? value : undefined;
  }

  /**
   * Like string(), but keeps surrounding spaces: passwords may legitimately contain them. A
   * secret payrelay checks or signs with is refused when it is a known placeholder (an example's,
   * the published test key): see ./placeholders.ts.
   */
  secret(name: string): string | undefined {
    catalogued(name);
    const value = this.env[name];
    if (!value) return undefined;
    const problem = isOwnSecret(name) ? placeholderProblem(name, value) : undefined;
    if (problem) throw new ConfigError(name, problem);
    return value;
  }

  int(name: string, fallback: number, min: number, max: number): number {
    checkDefault(name, fallback);
    const raw = this.string(name);
    if (raw === undefined) return fallback;
    if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
      throw new ConfigError(name, `must be a whole number from ${min} to ${max}, got "${raw}"`);
    }
    return Number(raw);
  }

  bool(name: string, fallback = false): boolean {
    checkDefault(name, String(fallback));
    const raw = this.string(name)?.toLowerCase();
    if (raw === undefined) return fallback;
    if (['1', 'true', 'yes', 'on'].includes(raw)) return true;
    if (['0', 'false', 'no', 'off'].includes(raw)) return false;
    throw new ConfigError(name, `must be true or false, got "${raw}"`);
  }

  /** An absolute URL whose scheme is one of `schemes`. */
  url(name: string, schemes: string[] = ['http:', 'https:']): URL | undefined {
    const raw = this.string(name);
    if (raw === undefined) return undefined;
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new ConfigError(name, `is not a valid URL: "${redactUrl(raw)}"`);
    }
    if (!schemes.includes(url.protocol)) {
      const allowed = schemes.map((s) => s.replace(':', '://')).join(' or ');
      throw new ConfigError(name, `must start with ${allowed}, got "${redactUrl(raw)}"`);
    }
    return url;
  }

  timeZone(name: string, fallback: string): string {
    checkDefault(name, fallback);
    const zone = this.string(name) ?? fallback;
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: zone });
    } catch {
      throw new ConfigError(name, `is not an IANA time zone name (like Europe/Moscow), got "${zone}"`);
    }
    return zone;
  }

  /** A PostgreSQL identifier we are willing to splice into SQL (schema names). */
  identifier(name: string, fallback: string): string {
    checkDefault(name, fallback);
    const value = this.string(name) ?? fallback;
    if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(value)) {
      throw new ConfigError(name, `must be letters, digits and underscores (not starting with a digit), got "${value}"`);
    }
    return value;
  }
}
