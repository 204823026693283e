import type net from 'node:net';
import type { Logger } from './logger.js';

/**
 * Counts open connections per remote address and refuses (destroys) one over `limit`. One per listener: each port
 * has its own count. Without it one address could hold every file descriptor the process has (two clients took all
 * 20,000 on the web port), and devices were refused.
 */
export function perAddressLimit(limit: number, log: Logger, what: string): (socket: net.Socket) => boolean {
  const perAddress = new Map<string, number>();
  // One listener for every socket of this listener (not a `once` wrapper and a closure per connection: ~250 bytes
  // each). 'close' comes once; remoteAddress, read below at admission, stays readable after it (Node caches it).
  const closed = function (this: net.Socket): void {
    const address = this.remoteAddress ?? '?';
    const left = (perAddress.get(address) ?? 1) - 1;
    if (left <= 0) perAddress.delete(address);
    else perAddress.set(address, left);
  };
  return (socket) => {
    const address = socket.remoteAddress ?? '?';
    const count = (perAddress.get(address) ?? 0) + 1;
    if (count > limit) {
      log.warn({ address, limit }, `too many ${what} connections from one address; refused`);
      socket.destroy();
      return false;
    }
    perAddress.set(address, count);
    socket.on('close', closed);
    return true;
  };
}
