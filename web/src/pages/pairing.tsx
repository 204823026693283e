import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { PairingView } from '../../../server/realtime/protocol.js';
import { api, errorText } from '../api.js';
import { useLive } from '../live/hooks.js';
import { useLiveAccounts } from '../live/topics.js';
import { Link } from '../router.js';
import { formatTime } from '../model/format.js';
import { MqttSnBindings } from './mqttsn-bindings.js';

/** The join window as the hub last pushed it over the socket, counting down locally between pushes. */
function usePairing(): { state?: PairingView; remaining: number } {
  const { connection } = useLive();
  const [, bump] = useState(0);
  useEffect(() => {
    const off = connection.onPairing(() => bump((n) => n + 1));
    bump((n) => n + 1); // a pairing state that arrived between the render and this subscription (live/hooks.ts)
    return off;
  }, [connection]);
  useEffect(() => {
    const timer = setInterval(() => bump((n) => n + 1), 1000);
    return () => clearInterval(timer);
  }, []);
  const p = connection.pairing;
  const remaining = p?.state.open ? Math.max(0, Math.ceil(p.state.remaining - (Date.now() - p.at) / 1000)) : 0;
  return { state: p?.state, remaining };
}

/**
 * Pairing: open the join window, watch candidates arrive (live over the socket), accept or reject them. Or create
 * credentials ahead of time: the password is shown once, with a connection string to copy.
 */
export function PairingPage(): JSX.Element {
  const { state, remaining } = usePairing();
  const [seconds, setSeconds] = useState(120);
  const [error, setError] = useState<string | undefined>(undefined);
  const call = async (fn: () => Promise<unknown>): Promise<void> => {
    try {
      await fn();
      setError(undefined);
    } catch (err) {
      setError(errorText(err));
    }
  };
  const open = state?.open && remaining > 0;
  return (
    <>
      <h1>Pairing</h1>
      {location.protocol === 'https:' && <p class="hint">Devices and phones connect without warnings once they trust this hub's certificate: <Link href="/trust">how to trust this hub</Link>.</p>}
      {error && <p class="form-error" role="alert">{error}</p>}
      <section class="panel" aria-labelledby="join-h">
        <h2 id="join-h">Join window</h2>
        <p>While it is open, a device that connects with credentials the hub does not know becomes a candidate. Accept it to keep those credentials.</p>
        {open ? (
          <p class="join-open">
            <span role="timer" aria-live="off" data-remaining={remaining}>Open: {Math.floor(remaining / 60)}:{String(remaining % 60).padStart(2, '0')} left</span>{' '}
            <button type="button" onClick={() => void call(() => api('POST', '/api/pairing/close'))}>Close now</button>
          </p>
        ) : (
          <p class="join-closed">
            <label>Open for{' '}
              <select value={seconds} onChange={(e) => setSeconds(Number(e.currentTarget.value))}>
                {[60, 120, 300, 600].map((s) => <option key={s} value={s}>{s / 60} min</option>)}
              </select>
            </label>{' '}
            <button type="submit" onClick={() => void call(() => api('POST', '/api/pairing/open', { seconds }))}>Open join window</button>
          </p>
        )}
        <h3>Candidates</h3>
        {(state?.candidates.length ?? 0) === 0 && <p class="empty">{open ? 'Waiting for devices to connect…' : 'None.'}</p>}
        <ul class="candidates">
          {state?.candidates.map((c) => (
            <li key={c.username} class="candidate" data-username={c.username}>
              <strong>{c.username}</strong> <small>{c.protocol ? `${c.protocol} ` : ''}client {c.clientId} from {c.address} · {c.protocol === 'MQTT-SN' ? 'waits for acceptance' : c.connected ? 'connected' : 'gone'} · since {formatTime(c.firstSeen)}</small>
              {c.topics.length > 0 && <p class="hint">Published to: {c.topics.slice(0, 5).join(', ')}{c.topics.length > 5 ? ` and ${c.topics.length - 5} more` : ''}</p>}
              <p>
                <button type="submit" onClick={() => void call(() => api('POST', `/api/pairing/candidates/${encodeURIComponent(c.username)}/accept`, {}))}>Accept {c.username}</button>{' '}
                <button type="button" class="danger" onClick={() => void call(() => api('POST', `/api/pairing/candidates/${encodeURIComponent(c.username)}/reject`, {}))}>Reject</button>
              </p>
            </li>
          ))}
        </ul>
      </section>
      <NewCredentials />
      <Accounts />
      <MqttSnBindings />
    </>
  );
}

function NewCredentials(): JSX.Element {
  const [created, setCreated] = useState<{ username: string; password: string; ports?: { mqtt: number; mqtts?: number } } | undefined>(undefined);
  const [copied, setCopied] = useState(false);
  const [error, setError] = useState<string | undefined>(undefined);
  const create = async (e: SubmitEvent): Promise<void> => {
    e.preventDefault();
    const form = e.currentTarget as HTMLFormElement;
    try {
      setCreated(await api<{ username: string; password: string; ports?: { mqtt: number; mqtts?: number } }>('POST', '/api/accounts', { username: String(new FormData(form).get('username')) }));
      setCopied(false);
      setError(undefined);
      form.reset();
    } catch (err) {
      setError(errorText(err));
    }
  };
  // Home's "Create credentials" links here (/pairing#creds-h): the form is where the user starts.
  // After the router's own focus move to <main> (app.tsx, an effect of a parent: it runs after this one).
  useEffect(() => {
    if (location.hash !== '#creds-h') return;
    const timer = setTimeout(() => document.getElementById('new-account')?.focus(), 0);
    return () => clearTimeout(timer);
  }, []);
  // The MQTT port is not the web port: the hub says which it listens on (TLS preferred when it has it).
  const port = created?.ports?.mqtts ?? (created?.ports?.mqtt || 1883);
  const scheme = created?.ports?.mqtts ? 'mqtts' : 'mqtt';
  const url = created ? `${scheme}://${encodeURIComponent(created.username)}:${encodeURIComponent(created.password)}@${location.hostname}:${port}` : '';
  return (
    <section class="panel" aria-labelledby="creds-h">
      <h2 id="creds-h">Credentials ahead of time</h2>
      <form class="inline-form" onSubmit={create}>
        <label>Device account <input id="new-account" name="username" required maxLength={64} pattern="[A-Za-z0-9_.\-]+" /></label>
        <button type="submit">Create credentials</button>
      </form>
      {error && <p class="form-error" role="alert">{error}</p>}
      {created && (
        <div class="once" role="status">
          <p><strong>Shown once:</strong> copy the password now; the hub keeps only its hash.</p>
          <p>Username <code>{created.username}</code> · password <code data-secret="password">{created.password}</code></p>
          <p><code class="conn">{url}</code>{' '}
            <button type="button" onClick={() => void navigator.clipboard?.writeText(url).then(() => setCopied(true), () => setCopied(false))}>{copied ? 'Copied' : 'Copy'}</button>
          </p>
        </div>
      )}
    </section>
  );
}

/**
 * The device accounts, live over the socket (`accounts`: the list again after every create, accept, rotate or
 * revoke). Revoke refuses the account's next login and disconnects its clients now; rotate makes a new password,
 * shown once, and disconnects the clients that used the old one. Both ask first.
 */
function Accounts(): JSX.Element {
  const accounts = useLiveAccounts();
  const [rotated, setRotated] = useState<{ username: string; password: string } | undefined>(undefined);
  const [message, setMessage] = useState<{ text: string; error?: boolean } | undefined>(undefined);
  /** The action waiting for its confirmation (asked in the row, not with a dialog). */
  const [asking, setAsking] = useState<{ username: string; action: 'revoke' | 'rotate' } | undefined>(undefined);
  const revoke = async (username: string): Promise<void> => {
    setAsking(undefined);
    try {
      const r = await api<{ disconnected: number }>('DELETE', `/api/accounts/${encodeURIComponent(username)}`);
      setMessage({ text: `${username} revoked; ${r.disconnected} client${r.disconnected === 1 ? '' : 's'} disconnected.` });
    } catch (err) {
      setMessage({ text: errorText(err), error: true });
    }
  };
  const rotate = async (username: string): Promise<void> => {
    setAsking(undefined);
    try {
      setRotated(await api<{ username: string; password: string }>('POST', `/api/accounts/${encodeURIComponent(username)}/rotate`, {}));
      setMessage(undefined);
    } catch (err) {
      setMessage({ text: errorText(err), error: true });
    }
  };
  const list = accounts.data ?? [];
  return (
    <section class="panel" aria-labelledby="accounts-h">
      <h2 id="accounts-h">Device accounts</h2>
      {accounts.error && <p class="form-error" role="alert">{accounts.error}</p>}
      {!accounts.data && !accounts.error && <p>Loading…</p>}
      {accounts.data && list.length === 0 && <p class="empty">None yet.</p>}
      {message && <p class={message.error ? 'form-error' : 'form-ok'} role={message.error ? 'alert' : 'status'}>{message.text}</p>}
      {rotated && (
        <div class="once" role="status">
          <p><strong>Shown once:</strong> the new password of <code>{rotated.username}</code> is <code data-secret="password">{rotated.password}</code></p>
        </div>
      )}
      {list.length > 0 && (
        <ul class="accounts">
          {list.map((a) => (
            <li key={a.username} data-account={a.username} data-revoked={a.revokedAt !== undefined ? 'true' : undefined}>
              <span><strong>{a.username}</strong> <small>{a.kind}{a.revokedAt !== undefined ? ` · revoked ${formatTime(a.revokedAt)}` : ''}</small></span>
              {asking?.username === a.username ? (
                <span class="account-actions" role="group" aria-label={`Confirm ${asking.action}`}>
                  <small>{asking.action === 'revoke' ? 'Its clients are disconnected now and it cannot log in until a new password.' : 'The old password stops working; its clients are disconnected.'}</small>{' '}
                  <button type="button" class={asking.action === 'revoke' ? 'danger' : ''} onClick={() => void (asking.action === 'revoke' ? revoke(a.username) : rotate(a.username))}>
                    {asking.action === 'revoke' ? `Yes, revoke ${a.username}` : `Yes, new password for ${a.username}`}
                  </button>{' '}
                  <button type="button" onClick={() => setAsking(undefined)}>Cancel</button>
                </span>
              ) : (
                <span class="account-actions">
                  <button type="button" onClick={() => setAsking({ username: a.username, action: 'rotate' })}>{a.revokedAt !== undefined ? 'New password' : 'Rotate'}<span class="sr-only"> {a.username}</span></button>{' '}
                  {a.revokedAt === undefined && <button type="button" class="danger" onClick={() => setAsking({ username: a.username, action: 'revoke' })}>Revoke<span class="sr-only"> {a.username}</span></button>}
                </span>
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
