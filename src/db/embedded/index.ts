import type { Db } from '../port.js';
import { openPostgres } from '../postgres.js';
import { startEmbeddedServer } from './server.js';

export interface EmbeddedOptions {
  dataDir: string;
  schema: string;
  poolSize: number;
  prepared: boolean;
  onError?: (error: Error) => void;
}

/** The embedded server started, and a pool on it; closing the pool stops the server too. */
export async function openEmbedded({ dataDir, onError, ...pool }: EmbeddedOptions): Promise<Db> {
  const server = await startEmbeddedServer(dataDir, (message) => onError?.(new Error(message)));
  const db = openPostgres({ connection: server.connection, ...pool, onError });
  return {
    ...db,
    async close() {
      try {
        await db.close();
      } finally {
        await server.stop();
      }
    },
  };
}
