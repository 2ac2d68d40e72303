import type { InstanceEnv } from '../../config/index.js';
import { readRedirectHosts } from '../kit/page.js';
import type { ProtocolVariable } from '../../config/variables.js';
import { ENCODING_VARIABLE, type Encoding, readEncoding } from '../kit/encoding.js';
import type { ProviderSettings } from '../types.js';

export interface CloudPaymentsSettings extends ProviderSettings {
  /** The site's Public ID, for the card page's widget. */
  publicId?: string;
  /** The site's API Secret: notifications must be signed with it when set. */
  apiSecret?: string;
  /** Charset of notification bodies that do not name one in Content-Type. */
  encoding: Encoding;
  /** Hosts (`host` or `host:port`) the card page may redirect to; empty allows no redirect at all. */
  redirectHosts: string[];
}

export const VARIABLES: ProtocolVariable[] = [
  { suffix: 'PUBLIC_ID', meaning: 'the site’s Public ID, for the card page' },
  {
    suffix: 'API_SECRET',
    meaning: 'the site’s API Secret: notifications must carry a valid HMAC when set',
    ownSecret: 'the site’s API Secret from the CloudPayments cabinet',
  },
  { ...ENCODING_VARIABLE, meaning: '`UTF8` or `Windows1251`: the charset of notifications that do not name one' },
  {
    suffix: 'REDIRECT_HOSTS',
    meaning:
      'comma-separated hosts the card page may redirect to (`success_url`, `fail_url`); redirects are refused until it names the hosts',
  },
];

export function readCloudPaymentsSettings(env: InstanceEnv, shared: ProviderSettings): CloudPaymentsSettings {
  return {
    ...shared,
    // CloudPayments declines a payment whose Check is not answered within 30 s: stay well under.
    checkTimeoutMs: env.int('CHECK_TIMEOUT_MS', 10_000, 1, 25_000),
    publicId: env.string('PUBLIC_ID'),
    apiSecret: env.secret('API_SECRET'),
    encoding: readEncoding(env),
    redirectHosts: readRedirectHosts(env),
  };
}
