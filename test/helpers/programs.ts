import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

/** A Debian program the tests start (mosquitto, victoria-metrics): found on PATH or in /usr/sbin, /usr/bin; undefined when missing. */
export function findProgram(name: string): string | undefined {
  for (const dir of [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/usr/bin']) {
    const bin = path.join(dir, name);
    if (dir && fs.existsSync(bin)) return bin;
  }
  return undefined;
}

/** A loopback port that was free a moment ago, for programs that cannot be told to pick one. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}
