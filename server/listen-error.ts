import { ErrorCodes, RumahError } from './core/errors.js';

/**
 * A listener that could not start, with what to do about it: the advice depends on why (a port in use wants another
 * port, a privileged port wants a higher one, an address not on this machine wants another --bind).
 */
export function listenError(what: string, host: string, port: number, portFlag: string, err: NodeJS.ErrnoException): RumahError {
  const notHere = `${host} is not an address of this machine; give one of its addresses (or 0.0.0.0 for all) with --bind`;
  const advice: Record<string, string> = {
    EADDRINUSE: `Another program (another broker or web server?) has port ${port}; stop it, or pick another port with ${portFlag}`,
    EACCES: `Ports below 1024 need privileges; pick a port of 1024 or above with ${portFlag}, or grant the capability (setcap cap_net_bind_service)`,
    EADDRNOTAVAIL: notHere,
    ENOTFOUND: notHere,
  };
  const next = advice[err.code ?? ''] ?? `Check --bind and ${portFlag}`;
  return new RumahError(ErrorCodes.LISTEN, `cannot listen for ${what} on ${host}:${port}: ${err.message}. ${next}`);
}
