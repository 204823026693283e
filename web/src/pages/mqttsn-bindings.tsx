import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { api, errorText } from '../api.js';
import { usePoll } from '../components/poll.js';
import { useLiveAccounts } from '../live/topics.js';

interface Binding {
  clientId: string;
  account: string;
  addresses?: string[];
  createdAt: number;
}

/**
 * MQTT-SN clients (docs/mqttsn.md): MQTT-SN 1.2 has no credentials, so a client id is admitted only when it is bound
 * to a device account, optionally only from given addresses. The same table as `rumah mqttsn bind|unbind|list`.
 */
export function MqttSnBindings(): JSX.Element {
  const [error, setError] = useState<string | undefined>(undefined);
  const list = usePoll(() => api<{ enabled: boolean; bindings: Binding[] }>('GET', '/api/mqttsn/clients'), 10_000);
  const liveAccounts = useLiveAccounts();
  const accounts = { data: liveAccounts.data && { accounts: liveAccounts.data } };
  const call = async (fn: () => Promise<unknown>): Promise<boolean> => {
    try {
      await fn();
      setError(undefined);
      list.reload();
      return true;
    } catch (err) {
      setError(errorText(err));
      return false;
    }
  };
  const bind = async (e: SubmitEvent): Promise<void> => {
    e.preventDefault();
    const form = e.currentTarget as HTMLFormElement;
    const data = new FormData(form);
    const addresses = String(data.get('addresses') ?? '').split(/[\s,]+/).filter(Boolean);
    const body = { clientId: String(data.get('clientId')), account: String(data.get('account')), ...(addresses.length ? { addresses } : {}) };
    if (await call(() => api('POST', '/api/mqttsn/clients', body))) form.reset();
  };
  const active = accounts.data?.accounts.filter((a) => a.revokedAt === undefined) ?? [];
  const bindings = list.data?.bindings ?? [];
  return (
    <section class="panel" aria-labelledby="mqttsn-h">
      <h2 id="mqttsn-h">MQTT-SN clients</h2>
      <p>An MQTT-SN sensor sends no password: its client id is admitted as the device account it is bound to, only from the addresses given (any, when none).</p>
      {list.data && !list.data.enabled && <p class="hint">The MQTT-SN gateway is off (<code>mqttsn.enabled</code>); bindings apply once it is on.</p>}
      <form class="inline-form" onSubmit={bind} aria-label="Bind an MQTT-SN client">
        <label>Client id <input name="clientId" required maxLength={23} pattern="[!-~]+" /></label>{' '}
        <label>Account{' '}
          <select name="account" required>
            {active.map((a) => <option key={a.username} value={a.username}>{a.username}</option>)}
          </select>
        </label>{' '}
        <label>Only from <input name="addresses" placeholder="any address" /></label>{' '}
        <button type="submit">Bind</button>
      </form>
      {(error ?? list.error) && <p class="form-error" role="alert">{error ?? list.error}</p>}
      {list.data && bindings.length === 0 && <p class="empty">No MQTT-SN client is bound.</p>}
      {bindings.length > 0 && (
        <table class="mqttsn-bindings">
          <thead><tr><th scope="col">Client id</th><th scope="col">Account</th><th scope="col">Addresses</th><th scope="col"><span class="sr-only">Actions</span></th></tr></thead>
          <tbody>
            {bindings.map((b) => (
              <tr key={b.clientId} data-client-id={b.clientId}>
                <td><code>{b.clientId}</code></td>
                <td>{b.account}</td>
                <td>{b.addresses?.join(', ') ?? 'any'}</td>
                <td><button type="button" class="danger" onClick={() => void call(() => api('DELETE', `/api/mqttsn/clients/${encodeURIComponent(b.clientId)}`))}>Unbind {b.clientId}</button></td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
