import type { Prng } from './prng.js';

// Raw HTTP/1.1 requests, from plausible to broken, for the hub's web port. Raw bytes rather than fetch: fetch
// refuses to send half of what a broken client (or an attacker) can.

export interface Secrets {
  /** `rumah_session=...` of a logged-in admin, and an API token: most requests get past authentication. */
  cookie: string;
  token: string;
}

const routes = [
  '/api/devices', '/api/devices/:id', '/api/devices/:id/command', '/api/devices/:id/history', '/api/devices/:id/log',
  '/api/accounts', '/api/accounts/:id', '/api/accounts/:id/rotate', '/api/accounts/:id/log',
  '/api/pairing', '/api/pairing/open', '/api/pairing/close', '/api/pairing/candidates/:id/accept', '/api/pairing/candidates/:id/reject',
  '/api/users', '/api/users/:id', '/api/rules', '/api/rules/:id', '/api/rules/:id/enabled', '/api/rules/:id/run', '/api/rules/:id/dry-run',
  '/api/rules/dry-run', '/api/rules/:id/traces', '/api/rules/:id/traces/:id',
  '/api/auth/login', '/api/auth/logout', '/api/auth/me', '/api/auth/status', '/api/auth/setup',
  '/api/backups', '/api/backups/progress', '/api/backups/:id', '/api/setup/restore', '/api/setup/restore/progress',
  '/healthz', '/metrics', '/ca.crt', '/', '/index.html', '/assets/:id', '/devices/:id', '/socket.io/', '/mqtt', '/api', '/api/:id',
];

function segment(r: Prng): string {
  return r.pick([
    () => 'ourhome-groundfloor-hall-light', () => 'admin', () => r.text(r.int(1, 12)).replace(/[\s/?#%]/g, '_'),
    () => '%', () => '%zz', () => '%00', () => '..%2f..%2fetc%2fpasswd', () => '%E2%82', () => '%c0%ae%c0%ae',
    () => encodeURIComponent('über-€-\u{1F4A1}'), () => 'x'.repeat(r.int(200, 9000)), () => '__proto__', () => 'constructor', () => '',
  ])();
}

function query(r: Prng): string {
  if (r.chance(0.6)) return '';
  const keys = ['property', 'from', 'to', 'limit', 'x', '__proto__', 'since', 'a[b]', 'limit[]'];
  const parts = Array.from({ length: r.int(1, 4) }, () => `${r.pick(keys)}=${r.pick(['1', '-1', 'NaN', '1e400', 'abc', '', '%', '9'.repeat(30), 'light'])}`);
  return '?' + parts.join('&');
}

/** A JSON-ish body: broken JSON, deep nesting, wrong types, prototype keys, plausible fields with odd values. */
export function body(r: Prng): string {
  const value = (depth: number): unknown => r.pick<() => unknown>([
    () => r.int(-1e6, 1e6), () => r.text(r.int(0, 40)), () => r.chance(0.5), () => null, () => 1e308 * (r.chance(0.5) ? 10 : 1),
    () => (depth > 3 ? 0 : Array.from({ length: r.int(0, 4) }, () => value(depth + 1))),
    () => (depth > 3 ? '' : Object.fromEntries(Array.from({ length: r.int(0, 4) }, () => [r.pick(['property', 'value', 'username', 'password', 'seconds', 'acl', 'enabled', 'name', 'role', '__proto__', 'constructor', 'toString', r.text(5)]), value(depth + 1)]))),
  ])();
  switch (r.int(0, 9)) {
    case 0: return r.pick(['{"property": ', '{', 'nul', '[1,2', '{"a":1}}', '\u0000', '{"a":"\\ud800"}', '"\\u', "{'a':1}", '1e99999']);
    case 1: return '['.repeat(100_000) + ']'.repeat(100_000); // deep enough to overflow a recursive parser
    case 2: return JSON.stringify({ property: 'x'.repeat(300_000), value: 1 }); // over the 256 KiB body limit
    case 3: return JSON.stringify({ property: r.pick(['light', 'state', 'brightness', 'temperature', '']), value: value(0) });
    case 4: return JSON.stringify({ username: r.pick(['admin', 'nobody', r.text(8), '']), password: r.pick(['test-admin-password', 'wrong', r.text(2000)]), role: r.pick(['admin', 'member', 'root']) });
    case 5: return JSON.stringify({ seconds: value(0), acl: value(0), enabled: value(0) });
    case 6: return JSON.stringify({ __proto__: { admin: true }, constructor: { prototype: { polluted: 1 } } });
    case 7: return r.bytes(r.int(1, 200)).toString('latin1');
    default: return JSON.stringify(value(0));
  }
}

export interface RawRequest {
  bytes: Buffer;
  /** One line for a failure report. */
  summary: string;
}

export function request(r: Prng, host: string, secrets: Secrets): RawRequest {
  if (r.chance(0.05)) {
    const junk = r.pick([() => r.bytes(r.int(1, 300)).toString('latin1'), () => 'GET\r\n\r\n', () => 'GET / HTTP/1.1\r\nHost: x\r\n' + 'X: y\r\n'.repeat(3000) + '\r\n', () => `GET /${'a'.repeat(100_000)} HTTP/1.1\r\nHost: x\r\n\r\n`, () => 'GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n'])();
    return { bytes: Buffer.from(junk, 'latin1'), summary: `junk ${JSON.stringify(junk.slice(0, 60))}` };
  }
  const method = r.pick(['GET', 'GET', 'POST', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD', 'TRACE', 'PROPFIND', 'G3T']);
  const path = r.pick(routes).replace(/:id/g, () => segment(r)) + query(r);
  const headers: string[] = [`Host: ${host}`, 'Connection: close'];
  const auth = r.int(0, 4);
  if (auth === 0) headers.push(`Cookie: ${secrets.cookie}`);
  if (auth === 1) headers.push(`Authorization: Bearer ${secrets.token}`);
  if (auth === 2) headers.push(r.pick(['Cookie: rumah_session=forged', 'Authorization: Bearer nope', 'Authorization: Basic YWRtaW46YWRtaW4=', `Cookie: ${'a=b; '.repeat(500)}`]));
  if (r.chance(0.2)) headers.push(`Origin: ${r.pick(['http://evil.example', `http://${host}`, 'null'])}`);
  let payload = method === 'GET' && r.chance(0.8) ? '' : body(r);
  if (payload) headers.push(`Content-Type: ${r.pick(['application/json', 'application/json', 'application/json; charset=utf-16', 'text/plain', 'application/x-www-form-urlencoded', 'application/yaml', 'multipart/form-data; boundary=x', 'application/json; charset=latin1'])}`);
  const framing = r.int(0, 9);
  if (payload && framing === 0) {
    headers.push('Transfer-Encoding: chunked');
    payload = `${Buffer.byteLength(payload).toString(16)}\r\n${payload}\r\n${r.chance(0.7) ? '0\r\n\r\n' : 'zz\r\n'}`;
  } else if (payload) {
    // Mostly right; sometimes a lie in either direction (too short: the rest is a broken next request).
    const len = Buffer.byteLength(payload);
    headers.push(`Content-Length: ${framing === 1 ? Math.max(0, len - r.int(1, 10)) : framing === 2 ? r.pick(['-1', 'abc', '1e3', '99999999999999999999']) : len}`);
  }
  const head = `${method} ${path} HTTP/1.1\r\n${headers.join('\r\n')}\r\n\r\n`;
  return { bytes: Buffer.concat([Buffer.from(head, 'latin1'), Buffer.from(payload, 'utf8')]), summary: `${method} ${path.slice(0, 120)} [${headers.slice(2).map((h) => h.slice(0, 40)).join('; ')}] ${JSON.stringify(payload.slice(0, 80))}` };
}
