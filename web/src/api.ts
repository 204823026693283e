// REST calls to the hub. Every write is JSON: the hub refuses cookie-authenticated writes that are not (its CSRF
// rule), and a cross-site form cannot send JSON without a preflight the hub never grants.

export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string, readonly details?: unknown) {
    super(message);
  }
}

export async function api<T>(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, body?: unknown): Promise<T> {
  const res = await fetch(path, {
    method,
    headers: body === undefined && method === 'GET' ? {} : { 'content-type': 'application/json' },
    body: method === 'GET' ? undefined : JSON.stringify(body ?? {}),
    credentials: 'same-origin',
  });
  const text = await res.text();
  let data: unknown;
  try {
    data = text ? JSON.parse(text) : undefined;
  } catch {
    data = undefined;
  }
  if (!res.ok) {
    const error = (data as { error?: { code?: string; message?: string; details?: unknown } } | undefined)?.error;
    throw new ApiError(res.status, error?.code ?? `HTTP_${res.status}`, error?.message ?? (text || res.statusText), error?.details);
  }
  return data as T;
}

export interface User {
  username: string;
  role: 'admin' | 'member';
}

/** The logged-in user, or undefined (401). */
export async function currentUser(): Promise<User | undefined> {
  try {
    return (await api<{ user: User }>('GET', '/api/auth/me')).user;
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return undefined;
    throw err;
  }
}

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
