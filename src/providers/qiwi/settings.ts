import type { EnvReader } from '../../config/index.js';
import { type ProviderSettings, readEncoding, readProviderSettings } from '../types.js';

export interface QiwiSettings extends ProviderSettings {
  /** How percent-escaped bytes are read when the Content-Type names no charset. */
  encoding: 'utf-8' | 'windows-1251';
}

export function readQiwiSettings(env: EnvReader): QiwiSettings {
  return { ...readProviderSettings(env, 'QIWI'), encoding: readEncoding(env, 'QIWI_ENCODING') };
}
