import type { EnvReader } from '../../config/index.js';
import { ConfigError } from '../../config/index.js';
import { readProviderSettings, type ProviderSettings } from '../types.js';

export interface CloudPaymentsSettings extends ProviderSettings {
  /** The site's Public ID, for the card page's widget. */
  publicId?: string;
  /** The site's API Secret: notifications must be signed with it when set. */
  apiSecret?: string;
  /** Charset of notification bodies that do not name one in Content-Type. */
  encoding: 'utf-8' | 'windows-1251';
  /** Hosts the card page may redirect to after payment; empty means any http(s) host. */
  redirectHosts: string[];
}

export function readCloudPaymentsSettings(env: EnvReader): CloudPaymentsSettings {
  return {
    ...readProviderSettings(env, 'CLOUDPAYMENTS'),
    // CloudPayments declines a payment whose Check is not answered within 30 s: stay well under.
    checkTimeoutMs: env.int('CLOUDPAYMENTS_CHECK_TIMEOUT_MS', 10_000, 1, 25_000),
    publicId: env.string('CLOUDPAYMENTS_PUBLIC_ID'),
    apiSecret: env.secret('CLOUDPAYMENTS_API_SECRET'),
    encoding: readEncoding(env),
    redirectHosts: (env.string('CLOUDPAYMENTS_REDIRECT_HOSTS') ?? '')
      .split(',')
      .map((host) => host.trim().toLowerCase())
      .filter(Boolean),
  };
}

function readEncoding(env: EnvReader): CloudPaymentsSettings['encoding'] {
  const raw = env.string('CLOUDPAYMENTS_ENCODING');
  if (raw === undefined) return 'utf-8';
  const name = raw.toLowerCase().replace(/[\s_-]/g, '');
  if (name === 'utf8') return 'utf-8';
  if (name === 'windows1251' || name === 'cp1251') return 'windows-1251';
  throw new ConfigError('CLOUDPAYMENTS_ENCODING', `must be UTF8 or Windows1251, got "${raw}"`);
}
