import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, errorText, type User } from '../api.js';
import { formatTime } from '../model/format.js';

interface UserRow extends User {
  createdAt: number;
}

/** Admins add people: members see and control devices; admins also manage users, pairing and rules. */
export function UsersPage({ me }: { me: User }): JSX.Element {
  const [users, setUsers] = useState<UserRow[]>([]);
  const [message, setMessage] = useState<{ text: string; error?: boolean } | undefined>(undefined);
  const load = (): void => void api<{ users: UserRow[] }>('GET', '/api/users').then((r) => setUsers(r.users), (err) => setMessage({ text: errorText(err), error: true }));
  useEffect(load, []);
  const run = async (what: () => Promise<unknown>, ok: string): Promise<void> => {
    try {
      await what();
      setMessage({ text: ok });
      load();
    } catch (err) {
      setMessage({ text: errorText(err), error: true });
    }
  };
  const create = (e: SubmitEvent): void => {
    e.preventDefault();
    const formEl = e.currentTarget as HTMLFormElement;
    const form = new FormData(formEl);
    const username = String(form.get('username'));
    void run(async () => {
      await api('POST', '/api/users', { username, password: form.get('password'), role: form.get('role') });
      formEl.reset();
    }, `User ${username} created.`);
  };
  return (
    <>
      <h1>Users</h1>
      {message && <p class={message.error ? 'form-error' : 'form-ok'} role={message.error ? 'alert' : 'status'}>{message.text}</p>}
      <table class="users">
        <thead><tr><th scope="col">User</th><th scope="col">Role</th><th scope="col">Since</th><th scope="col"><span class="sr-only">Actions</span></th></tr></thead>
        <tbody>
          {users.map((u) => (
            <tr key={u.username} data-username={u.username}>
              <th scope="row">{u.username}{u.username === me.username && <small> (you)</small>}</th>
              <td>
                <select aria-label={`Role of ${u.username}`} value={u.role} disabled={u.username === me.username}
                  onChange={(e) => void run(() => api('PATCH', `/api/users/${encodeURIComponent(u.username)}`, { role: e.currentTarget.value }), `${u.username} is now ${e.currentTarget.value}.`)}>
                  <option value="member">member</option>
                  <option value="admin">admin</option>
                </select>
              </td>
              <td>{formatTime(u.createdAt)}</td>
              <td>{u.username !== me.username && <DeleteUser name={u.username} onDelete={() => void run(() => api('DELETE', `/api/users/${encodeURIComponent(u.username)}`), `${u.username} deleted.`)} />}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <section class="panel" aria-labelledby="add-h">
        <h2 id="add-h">Add a user</h2>
        <form class="stack" onSubmit={create}>
          <label>Username <input name="username" required maxLength={64} autocomplete="off" /></label>
          <label>Password <small>(at least 8 characters)</small> <input name="password" type="password" required minLength={8} autocomplete="new-password" /></label>
          <label>Role{' '}
            <select name="role" defaultValue="member">
              <option value="member">member — sees and controls devices</option>
              <option value="admin">admin — also users, pairing and rules</option>
            </select>
          </label>
          <button type="submit">Add user</button>
        </form>
      </section>
    </>
  );
}

function DeleteUser({ name, onDelete }: { name: string; onDelete: () => void }): JSX.Element {
  const [confirming, setConfirming] = useState(false);
  if (!confirming) return <button type="button" class="danger" onClick={() => setConfirming(true)}>Delete…</button>;
  return (
    <span class="confirm">
      <button type="button" class="danger" onClick={onDelete}>Delete {name}</button>{' '}
      <button type="button" onClick={() => setConfirming(false)}>Cancel</button>
    </span>
  );
}
