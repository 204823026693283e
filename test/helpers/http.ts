import { adminPassword, type TestHub } from './hub.js';

export interface Api {
  get(path: string): Promise<{ status: number; body: any }>;
  post(path: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: any }>;
  del(path: string): Promise<{ status: number; body: any }>;
  put(path: string, body?: unknown): Promise<{ status: number; body: any }>;
  patch(path: string, body?: unknown): Promise<{ status: number; body: any }>;
}

/** An HTTP client that logs in as the admin and keeps the session cookie. */
export async function loginAsAdmin(httpUrl: string): Promise<Api> {
  const res = await fetch(`${httpUrl}/api/auth/login`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: adminPassword }),
  });
  if (res.status !== 200) throw new Error(`login failed: ${res.status} ${await res.text()}`);
  const cookie = res.headers.get('set-cookie')!.split(';')[0]!;
  return client(httpUrl, { cookie });
}

export function client(httpUrl: string, headers: Record<string, string> = {}): Api {
  const call = async (method: string, path: string, body?: unknown, extra: Record<string, string> = {}) => {
    const res = await fetch(`${httpUrl}${path}`, {
      method,
      headers: { ...headers, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...extra },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      /* not JSON: keep the text */
    }
    return { status: res.status, body: parsed as any };
  };
  return { get: (p) => call('GET', p), post: (p, b, h) => call('POST', p, b, h), del: (p) => call('DELETE', p), put: (p, b) => call('PUT', p, b), patch: (p, b) => call('PATCH', p, b) };
}

/** GET /metrics with an API token made for the call: it needs one, like every call but /healthz. */
export async function readMetrics(hub: TestHub): Promise<string> {
  const token = await hub.hub.store.apiTokens.create(`metrics-${Math.random().toString(36).slice(2, 8)}`);
  const res = await fetch(`${hub.httpUrl}/metrics`, { headers: { authorization: `Bearer ${token}` } });
  if (res.status !== 200) throw new Error(`GET /metrics: ${res.status} ${await res.text()}`);
  return res.text();
}
