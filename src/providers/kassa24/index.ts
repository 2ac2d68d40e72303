import type { Encoding } from '../kit/encoding.js';
import type { Protocol, Refusal } from '../types.js';
import { FormParams } from '../kit/params.js';
import { payment, xmlAnswer } from './payment.js';
import { ACTIONS, Code } from './protocol.js';
import { type Kassa24Settings, readKassa24Settings, VARIABLES } from './settings.js';
import { simulator } from './simulator.js';

/** The intake's refusals in the protocol's words: all final (code 10) but our own trouble (code 8, HTTP 503). */
const REFUSALS: Record<Refusal, [number, string]> = {
  forbidden: [Code.other, 'Address not allowed'],
  unauthorized: [Code.other, 'Unauthorized'],
  method: [Code.other, 'Method not allowed, use GET or POST'],
  malformed: [Code.other, 'Malformed request'],
  forged: [Code.other, 'Forged request'],
  temporary: [Code.temporary, 'Temporary error, retry'],
};

/**
 * A refusal knows the message, not the instance: its charset is the Content-Type's, else the
 * instance's encoding, so a GET is answered in the deployment's.
 */
const encodingOf = (charset: string): Encoding => (/^(windows-1251|cp1251)$/i.test(charset) ? 'windows-1251' : 'utf-8');

/** Kassa24 cash terminals (Kazakhstan, Kyrgyzstan): check, payment, status and cancel on one endpoint. */
export const kassa24: Protocol<Kassa24Settings> = {
  name: 'kassa24',
  title: 'Kassa24 terminals',
  variables: VARIABLES,
  migrationsDir: new URL('./migrations/', import.meta.url),
  readSettings: readKassa24Settings,
  requestTypes: ACTIONS,
  endpoints: { '/payment': payment },
  charset: (settings) => settings.encoding,
  refuse(refusal, message) {
    const [code, text] = REFUSALS[refusal];
    // Before authentication only the query is read: enough to name the action for the metrics.
    const action = new FormParams(message.query, undefined, message.charset).get('action');
    const type = 'text' in action ? ACTIONS.find((known) => known === action.text) : undefined;
    return xmlAnswer({ code, message: text }, encodingOf(message.charset), type);
  },
  simulator,
  acceptsWebhookStatus: (status) => status >= 200 && status < 300,
};
