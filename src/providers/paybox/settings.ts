import type { InstanceEnv } from '../../config/index.js';
import { readRedirectHosts } from '../kit/page.js';
import type { ProtocolVariable } from '../../config/variables.js';
import type { ProviderSettings } from '../types.js';

export interface PayboxSettings extends ProviderSettings {
  /** The merchant's id in FreedomPay: a call naming another one is refused; the payment page sends it. */
  merchantId?: string;
  /** The merchant's secret key: every call must be signed with it, every answer is. */
  secretKey?: string;
  /** FreedomPay's API, whose `payment.php` the payment page sends the customer to. */
  apiUrl: URL;
  /** Whether the payment page starts test payments (`pg_testing_mode=1`). */
  testingMode: boolean;
  /** payrelay's own address as FreedomPay reaches it: the page names the instance's URLs under it. */
  publicUrl?: URL;
  /** Hosts (`host` or `host:port`) the page may send the customer back to; empty allows none. */
  redirectHosts: string[];
}

export const DEFAULT_API_URL = 'https://api.freedompay.kz';

export const VARIABLES: ProtocolVariable[] = [
  {
    suffix: 'MERCHANT_ID',
    meaning:
      'the merchant’s id in the FreedomPay cabinet: calls naming another merchant are refused, and the payment page sends it',
  },
  {
    suffix: 'SECRET_KEY',
    meaning:
      'the merchant’s secret key (“payment password”) from the FreedomPay cabinet: every call must carry a valid MD5 signature made with it, and every answer is signed with it',
    ownSecret: 'the secret key of the merchant from the FreedomPay cabinet',
  },
  {
    suffix: 'API_URL',
    default: DEFAULT_API_URL,
    meaning:
      'FreedomPay’s API, where the payment page sends customers (`<url>/payment.php`): `https://api.freedompay.uz` or `https://api.freedompay.kg` in those countries',
  },
  { suffix: 'TESTING_MODE', default: 'false', meaning: '`true`: the payment page starts test payments (`pg_testing_mode=1`)' },
  {
    suffix: 'PUBLIC_URL',
    meaning:
      'payrelay’s address as FreedomPay and customers reach it (`https://pay.example.com`): the payment page gives FreedomPay the instance’s check, result and refund URLs under it; without it the page answers 400',
  },
  {
    suffix: 'REDIRECT_HOSTS',
    meaning:
      'comma-separated hosts the payment page may send the customer back to (`success_url`, `fail_url`); both are refused until it names the hosts',
  },
];

export function readPayboxSettings(env: InstanceEnv, shared: ProviderSettings): PayboxSettings {
  return {
    ...shared,
    merchantId: env.string('MERCHANT_ID'),
    secretKey: env.secret('SECRET_KEY'),
    apiUrl: env.url('API_URL') ?? new URL(DEFAULT_API_URL),
    testingMode: env.bool('TESTING_MODE', false),
    publicUrl: env.url('PUBLIC_URL'),
    redirectHosts: readRedirectHosts(env),
  };
}
