import crypto from 'node:crypto';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

// Where each connection's MQTT credentials come from:
//   given        one account for all connections, a list (one per connection, reused in turn) or a function
//   data dir     one account per connection, `sim-1`, `sim-2`… created by the hub's own CLI on that data
//                directory (`devices add`; `devices rotate` when it exists from an earlier run), which works
//                while the hub runs on it (SQLite WAL)
//   pairing      a fresh random username and password per connection, presented through the join window; the
//                admin's accept makes that password the device's, so it must be secret: node:crypto, not the seed
//   none         anonymous (a hub with mqtt.allowAnonymous)

export interface Credentials {
  username: string;
  password: string;
}

export type CredentialSource = Credentials | readonly Credentials[] | ((connection: number) => Credentials | Promise<Credentials>);

/** The hub's CLI, next to this file in dist/ (dist/devices/simulator → dist/server/cli). */
const CLI = fileURLToPath(new URL('../../server/cli/main.js', import.meta.url));
const CLI_CONCURRENCY = 4;

export function pairingCredentials(): Credentials {
  return { username: `sim-${crypto.randomBytes(4).toString('hex')}`, password: crypto.randomBytes(18).toString('base64url') };
}

export async function resolveCredentials(count: number, source: { credentials?: CredentialSource; pair?: boolean; dataDir?: string }): Promise<(Credentials | undefined)[]> {
  const { credentials, pair, dataDir } = source;
  if (pair) return Array.from({ length: count }, pairingCredentials);
  if (typeof credentials === 'function') {
    const out: Credentials[] = [];
    for (let i = 0; i < count; i++) out.push(await credentials(i));
    return out;
  }
  if (Array.isArray(credentials)) return Array.from({ length: count }, (_, i) => credentials[i % credentials.length]);
  if (credentials) return Array.from({ length: count }, () => credentials as Credentials);
  if (dataDir) return cliAccounts(count, dataDir);
  return Array.from({ length: count }, () => undefined);
}

/** `sim-1`…`sim-N` through the CLI, a few processes at a time (each one opens SQLite and hashes a password). */
async function cliAccounts(count: number, dataDir: string): Promise<Credentials[]> {
  const out: Credentials[] = new Array(count);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const i = next++;
      out[i] = await cliAccount(`sim-${i + 1}`, dataDir);
    }
  };
  await Promise.all(Array.from({ length: Math.min(CLI_CONCURRENCY, count) }, worker));
  return out;
}

export async function cliAccount(name: string, dataDir: string): Promise<Credentials> {
  try {
    return await runCli(['devices', 'add', name, '--json', '--data', dataDir]);
  } catch (err) {
    // An account left by an earlier run: give it a new password rather than fail (its old one is not kept anywhere).
    if (!/already exists/.test((err as Error).message)) throw err;
    return runCli(['devices', 'rotate', name, '--json', '--data', dataDir]);
  }
}

function runCli(args: string[]): Promise<Credentials> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [CLI, ...args], { timeout: 30_000 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`rumah ${args.slice(0, 3).join(' ')}: ${stderr.trim() || err.message}`));
      try {
        const parsed = JSON.parse(stdout) as Partial<Credentials>;
        if (typeof parsed.username !== 'string' || typeof parsed.password !== 'string') throw new Error('no username/password in the answer');
        resolve({ username: parsed.username, password: parsed.password });
      } catch (e) {
        reject(new Error(`rumah ${args.slice(0, 3).join(' ')}: unexpected output ${JSON.stringify(stdout.slice(0, 200))}: ${(e as Error).message}`));
      }
    });
  });
}
