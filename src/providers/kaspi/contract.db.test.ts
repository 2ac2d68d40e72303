/**
 * The contract suite (test/contract/contract.ts) for a second network of the protocol, as
 * Halyk Bank runs beside Kaspi: the same protocol under another name, so its own tables
 * (`halyk_*`), variables (`HALYK_*`) and path (`/_halyk_/`). The registry's run
 * (test/contract.db.test.ts) covers the instance named `kaspi`.
 */
import { vi } from 'vitest';
import { contractSuite } from '../../../test/contract/contract.js';
import { protocols } from '../index.js';
import { kaspi } from './index.js';

// The dispatcher's claims, watched and left to do their work: "delivered once" waits for the
// claim that would have taken a payment again.
vi.mock(import('../../delivery/store.js'), async (importOriginal) => {
  const store = await importOriginal();
  return { ...store, claimDue: vi.fn(store.claimDue) };
});

contractSuite(kaspi, { protocols, instance: 'halyk' });
