import fs from 'node:fs';
import path from 'node:path';
import { ErrorCodes, RumahError } from '../core/errors.js';
import type { Store } from '../store/index.js';
import { pinnedRequest } from '../tls/pinned-request.js';

interface Runtime {
  httpPort: number;
  /** Set when the hub serves HTTPS: the certificate it serves, pinned by the CLI. */
  tls?: { fingerprint256: string };
  bind: string;
  pid: number;
}

/** The hub running on this data dir, if any: runtime.json names it, and its process must be alive. */
export function runningHub(dataDir: string): Runtime | undefined {
  let runtime: Runtime;
  try {
    runtime = JSON.parse(fs.readFileSync(path.join(dataDir, 'runtime.json'), 'utf8')) as Runtime;
    process.kill(runtime.pid, 0);
  } catch {
    return undefined;
  }
  return runtime;
}

/**
 * Calls the running hub's API as an admin. The CLI has the database, not a session: it makes a token for this one
 * call and deletes it afterwards, so nothing long-lived is left behind.
 */
export async function callHub(store: Store, dataDir: string, method: string, route: string, body?: unknown): Promise<unknown> {
  const session = await hubSession(store, dataDir);
  try {
    return await session.call(method, route, body);
  } finally {
    await session.close();
  }
}

/** Several calls on one token (a long backup and its progress): deleted by close(). */
export async function hubSession(store: Store, dataDir: string): Promise<{ call(method: string, route: string, body?: unknown): Promise<unknown>; close(): Promise<void> }> {
  const runtime = runningHub(dataDir);
  if (!runtime) throw new RumahError(ErrorCodes.NOT_FOUND, `no hub is running on ${dataDir}; start it with npm start (or pass --data DIR)`);
  const host = runtime.bind === '0.0.0.0' || runtime.bind === '::' ? '127.0.0.1' : runtime.bind;
  const name = `cli-${process.pid}-${Date.now()}`;
  const token = await store.apiTokens.create(name);
  return {
    async call(method, route, body) {
      const headers = { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) };
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const res = runtime.tls
        ? await pinnedRequest({ host, port: runtime.httpPort, fingerprint256: runtime.tls.fingerprint256, method, path: route, headers, body: payload })
        : await fetch(`http://${host.includes(':') ? `[${host}]` : host}:${runtime.httpPort}${route}`, { method, headers, body: payload })
          .then(async (r) => ({ status: r.status, text: await r.text() }));
      const json = JSON.parse(res.text) as { error?: { message: string } };
      if (res.status >= 400) throw new RumahError(ErrorCodes.BAD_REQUEST, json.error?.message ?? `hub answered ${res.status}`);
      return json;
    },
    close: async () => void (await store.apiTokens.remove(name)),
  };
}
