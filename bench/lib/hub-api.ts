import { HOST } from './procs.js';

/** rumah's REST API as the admin (session cookie from POST /api/auth/login), for benchmarks that drive the hub. */
export class HubApi {
  private constructor(private readonly base: string, private readonly cookie: string) {}

  static async login(httpPort: number, credentials: { username: string; password: string }): Promise<HubApi> {
    const base = `http://${HOST}:${httpPort}`;
    const res = await fetch(`${base}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(credentials) });
    const cookie = res.headers.get('set-cookie')?.split(';')[0];
    if (!res.ok || !cookie) throw new Error(`admin login failed: HTTP ${res.status} ${await res.text()}`);
    return new HubApi(base, cookie);
  }

  get<T>(path: string): Promise<T> {
    return this.call<T>('GET', path);
  }

  post<T>(path: string, body: unknown = {}): Promise<T> {
    return this.call<T>('POST', path, body);
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(`${this.base}${path}`, {
      method,
      // Cookie-authenticated writes must be JSON (the hub's CSRF rule).
      headers: { cookie: this.cookie, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status} ${text.slice(0, 300)}`);
    return JSON.parse(text) as T;
  }
}
