import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { api, errorText, type User } from '../api.js';
import { RestoreBackup } from './setup-restore.js';

/** First run: the one-time code printed at the hub's first start creates the first admin. */
export function SetupPage({ onDone }: { onDone: (user: User) => void }): JSX.Element {
  const [error, setError] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const submit = async (e: SubmitEvent): Promise<void> => {
    e.preventDefault();
    const form = new FormData(e.currentTarget as HTMLFormElement);
    if (form.get('password') !== form.get('confirm')) return setError('the two passwords differ');
    setBusy(true);
    setError(undefined);
    try {
      const { user } = await api<{ user: User }>('POST', '/api/auth/setup', {
        code: String(form.get('code') ?? '').trim(), username: form.get('username'), password: form.get('password'),
      });
      onDone(user);
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <main id="main" class="narrow">
      <h1>Welcome to rumah</h1>
      <p>Create the first admin. The one-time setup code was printed in the hub's console when it first started.</p>
      <form class="stack" onSubmit={submit}>
        <label>Setup code <input name="code" required autoFocus autocomplete="one-time-code" spellcheck={false} /></label>
        <label>Admin username <input name="username" required autocomplete="username" defaultValue="admin" /></label>
        <label>Password <small>(at least 8 characters)</small> <input name="password" type="password" minLength={8} required autocomplete="new-password" /></label>
        <label>Password again <input name="confirm" type="password" minLength={8} required autocomplete="new-password" /></label>
        {error && <p class="form-error" role="alert">{error}</p>}
        <button type="submit" disabled={busy}>Create admin</button>
      </form>
      <RestoreBackup />
    </main>
  );
}
