import type { InstanceEnv } from '../../config/index.js';
import { type Encoding, readEncoding } from '../kit/encoding.js';
import type { ProviderSettings } from '../types.js';

export interface QiwiSettings extends ProviderSettings {
  /** How percent-escaped bytes are read when the Content-Type names no charset. */
  encoding: Encoding;
}

export function readQiwiSettings(env: InstanceEnv, shared: ProviderSettings): QiwiSettings {
  return { ...shared, encoding: readEncoding(env) };
}
