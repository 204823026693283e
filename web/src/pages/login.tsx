import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { api, errorText, type User } from '../api.js';

/** Logs in; the hub sets an HttpOnly, SameSite=Strict session cookie that this page never sees. */
export function LoginPage({ onLogin }: { onLogin: (user: User) => void }): JSX.Element {
  const [error, setError] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const submit = async (e: SubmitEvent): Promise<void> => {
    e.preventDefault();
    const form = new FormData(e.currentTarget as HTMLFormElement);
    setBusy(true);
    setError(undefined);
    try {
      const { user } = await api<{ user: User }>('POST', '/api/auth/login', { username: form.get('username'), password: form.get('password') });
      onLogin(user);
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <main id="main" class="narrow">
      <h1>Log in to rumah</h1>
      <form class="stack" onSubmit={submit}>
        <label>Username <input name="username" autocomplete="username" required autoFocus /></label>
        <label>Password <input name="password" type="password" autocomplete="current-password" required /></label>
        {error && <p class="form-error" role="alert">{error}</p>}
        <button type="submit" disabled={busy}>Log in</button>
      </form>
    </main>
  );
}
