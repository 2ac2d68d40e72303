import type { InstanceEnv } from '../../config/index.js';
import type { ProtocolVariable } from '../../config/variables.js';
import { ENCODING_VARIABLE, type Encoding, readEncoding } from '../kit/encoding.js';
import type { ProviderSettings } from '../types.js';

export interface Kassa24Settings extends ProviderSettings {
  /** How percent-escaped bytes are read when the Content-Type names no charset; also what the answers declare. */
  encoding: Encoding;
  /** Whether the network may cancel a payment; when not, every cancel is answered code 9. */
  cancels: boolean;
}

export const VARIABLES: ProtocolVariable[] = [
  {
    ...ENCODING_VARIABLE,
    meaning: `${ENCODING_VARIABLE.meaning}; the answers declare it in their XML declaration and Content-Type`,
  },
  {
    suffix: 'CANCELS',
    default: 'true',
    meaning: '`false` forbids the network’s cancels: each is answered code 9 (cancel impossible) and changes nothing',
  },
];

export function readKassa24Settings(env: InstanceEnv, shared: ProviderSettings): Kassa24Settings {
  return { ...shared, encoding: readEncoding(env), cancels: env.bool('CANCELS', true) };
}
