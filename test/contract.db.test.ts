/**
 * The contract suite (test/contract/contract.ts) for every protocol in the registry, and for the
 * toy protocol of test/toy-protocol, which a newcomer's protocol resembles: registered here only.
 */
import { vi } from 'vitest';
import { protocols } from '../src/providers/index.js';
import { contractSuite } from './contract/contract.js';
import { toy } from './toy-protocol/index.js';

// The dispatcher's claims, watched and left to do their work: "delivered once" waits for the
// claim that would have taken a payment again.
vi.mock(import('../src/delivery/store.js'), async (importOriginal) => {
  const store = await importOriginal();
  return { ...store, claimDue: vi.fn(store.claimDue) };
});

const all = [...protocols, toy];
for (const protocol of all) contractSuite(protocol, { protocols: all });
