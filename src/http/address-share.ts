/**
 * Each source address's share of the connection slots: without it one client holding
 * HTTP_MAX_CONNECTIONS slow sockets locked every other caller out. A connection beyond its
 * address's share is closed at once, as one beyond HTTP_MAX_CONNECTIONS is. The counts live only
 * while connections are open, so they hold at most HTTP_MAX_CONNECTIONS entries.
 */
import type { Server } from 'node:http';
import type { Socket } from 'node:net';

export function shareConnections(server: Server, perAddress: number): void {
  const open = new Map<string, number>();
  server.on('connection', (socket: Socket) => {
    const address = socket.remoteAddress ?? '';
    const count = open.get(address) ?? 0;
    if (count >= perAddress) {
      socket.destroy();
      return;
    }
    open.set(address, count + 1);
    socket.once('close', () => {
      const left = (open.get(address) ?? 1) - 1;
      if (left > 0) open.set(address, left);
      else open.delete(address);
    });
  });
}
