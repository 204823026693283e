import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { api, errorText } from '../api.js';
import { Ago } from '../components/time.js';

/** A bridge this hub connects out (server/bridge/service.ts OutboundBridgeView). */
export interface OutboundBridgeView {
  name: string;
  url: string;
  state: 'connecting' | 'connected' | 'down';
  since: number;
  lastError?: string;
  topics: string[];
  queueDepth: number;
  queueDropped: number;
  messagesOut: number;
  messagesIn: number;
  rateOut: number;
  rateIn: number;
  source: 'rumah.yaml' | 'dashboard';
  protocolVersion: 4 | 5;
  username?: string;
  hasPassword: boolean;
}

const rate = (n: number): string => `${Math.round(n * 10) / 10}/s`;

/**
 * Outbound bridges on the Broker page: their state and traffic, and a form to add or change one (PUT
 * /api/broker/bridges/:name). A password is write-only: left empty, the stored one is kept. Bridges declared in
 * rumah.yaml are shown, not edited (docs/bridges.md).
 */
export function OutboundBridges({ bridges, changed }: { bridges: OutboundBridgeView[]; changed: () => void }): JSX.Element {
  const [message, setMessage] = useState<{ text: string; error?: boolean }>();
  const [editing, setEditing] = useState<OutboundBridgeView>();
  const run = async (action: () => Promise<unknown>, done: string): Promise<void> => {
    try {
      await action();
      setMessage({ text: done });
      changed();
    } catch (err) {
      setMessage({ text: errorText(err), error: true });
    }
  };
  const save = (e: SubmitEvent): void => {
    e.preventDefault();
    const formEl = e.currentTarget as HTMLFormElement;
    const form = new FormData(formEl);
    const name = String(form.get('name')).trim();
    const password = String(form.get('password') ?? '');
    const username = String(form.get('username') ?? '').trim();
    const body = {
      url: String(form.get('url')).trim(),
      protocolVersion: Number(form.get('protocolVersion')),
      ...(username ? { username } : {}),
      ...(password ? { password } : {}),
      topics: String(form.get('topics')).split('\n').map((l) => l.trim()).filter(Boolean),
    };
    void run(async () => {
      await api('PUT', `/api/broker/bridges/${encodeURIComponent(name)}`, body);
      formEl.reset();
      setEditing(undefined);
    }, `Bridge ${name} saved.`);
  };
  return (
    <section class="panel" aria-labelledby="outbound-h">
      <h2 id="outbound-h">Outbound bridges</h2>
      {message && <p class={message.error ? 'form-error' : 'form-ok'} role={message.error ? 'alert' : 'status'}>{message.text}</p>}
      {bridges.length === 0 && <p class="empty">None: rumah passes no messages to other brokers.</p>}
      {bridges.length > 0 && (
        <table>
          <thead><tr><th scope="col">Bridge</th><th scope="col">Remote</th><th scope="col">State</th><th scope="col">Queued</th><th scope="col">Out</th><th scope="col">In</th><th scope="col">Topics</th><th scope="col"><span class="sr-only">Actions</span></th></tr></thead>
          <tbody>{bridges.map((b) => (
            <tr key={b.name} data-outbound-bridge={b.name}>
              <td>{b.name}{b.source === 'rumah.yaml' ? <small> (rumah.yaml)</small> : null}</td><td><code>{b.url}</code></td>
              <td>{b.state} <small><Ago ts={b.since} /></small>{b.lastError && b.state !== 'connected' ? <small> — {b.lastError}</small> : null}</td>
              <td>{b.queueDepth}{b.queueDropped ? ` (${b.queueDropped} dropped)` : ''}</td>
              <td>{b.messagesOut} ({rate(b.rateOut)})</td>
              <td>{b.messagesIn} ({rate(b.rateIn)})</td>
              <td>{b.topics.map((t) => <code key={t}>{t} </code>)}</td>
              <td>{b.source === 'dashboard' && (
                <>
                  <button type="button" onClick={() => setEditing(b)}>Change</button>{' '}
                  <button type="button" class="danger" onClick={() => void run(() => api('DELETE', `/api/broker/bridges/${encodeURIComponent(b.name)}`), `Bridge ${b.name} deleted.`)}>Delete {b.name}</button>
                </>
              )}</td>
            </tr>
          ))}</tbody>
        </table>
      )}
      <h3>{editing ? `Change ${editing.name}` : 'Add a bridge'}</h3>
      <form class="stack" onSubmit={save} key={editing?.name ?? 'new'}>
        <label>Name <input name="name" required pattern="[A-Za-z0-9_\-]{1,64}" defaultValue={editing?.name} readOnly={editing !== undefined} autocomplete="off" /></label>
        <label>Remote URL <small>(mqtt://, mqtts://, ws://, wss://)</small> <input name="url" required defaultValue={editing?.url} autocomplete="off" /></label>
        <label>Protocol{' '}
          <select name="protocolVersion" defaultValue={String(editing?.protocolVersion ?? 4)}>
            <option value="4">MQTT 3.1.1</option>
            <option value="5">MQTT 5</option>
          </select>
        </label>
        <label>Username <input name="username" defaultValue={editing?.username} autocomplete="off" /></label>
        <label>Password {editing?.hasPassword ? <small>(set; leave empty to keep it)</small> : null} <input name="password" type="password" autocomplete="new-password" /></label>
        <label>Topics <small>(one rule a line: <code>pattern out|in|both qos local-prefix remote-prefix</code>)</small>
          <textarea name="topics" required rows={3} defaultValue={editing?.topics.join('\n')} />
        </label>
        <button type="submit">Save bridge</button>
      </form>
    </section>
  );
}
