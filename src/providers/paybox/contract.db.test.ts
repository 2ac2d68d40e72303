/**
 * The contract suite (test/contract/contract.ts) with signatures: the registry's run
 * (test/contract.db.test.ts) plays an instance without PAYBOX_SECRET_KEY, whose calls go unsigned
 * under its allow-list. Here an instance that has a key (as every real deployment does) plays the
 * whole suite with every call signed, and every answer too.
 */
import { vi } from 'vitest';
import { contractSuite } from '../../../test/contract/contract.js';
import { protocols } from '../index.js';
import { paybox } from './index.js';
import { readPayboxSettings } from './settings.js';

// The dispatcher's claims, watched and left to do their work: "delivered once" waits for the
// claim that would have taken a payment again.
vi.mock(import('../../delivery/store.js'), async (importOriginal) => {
  const store = await importOriginal();
  return { ...store, claimDue: vi.fn(store.claimDue) };
});

const signed: typeof paybox = {
  ...paybox,
  name: 'payboxsigned',
  title: 'Paybox, signed',
  readSettings: (env, shared) => ({
    ...readPayboxSettings(env, shared),
    secretKey: 'contract-suite-secret',
    merchantId: '552233',
  }),
};
contractSuite(signed, { protocols: [...protocols, signed] });
