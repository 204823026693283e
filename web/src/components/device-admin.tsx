import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { api, errorText } from '../api.js';
import { useAreas } from '../live/hooks.js';
import type { ViewDevice } from '../live/store.js';
import { areaChoices, areaOf } from '../model/areas.js';
import { Link, navigate } from '../router.js';

/** Rename, move to another room, delete: admins only (the hub checks the role again). */
export function DeviceAdmin({ device }: { device: ViewDevice }): JSX.Element {
  const areas = useAreas();
  const current = areaOf(device, areas);
  const [message, setMessage] = useState<{ text: string; error?: boolean } | undefined>(undefined);
  const [confirming, setConfirming] = useState(false);
  const path = `/api/devices/${encodeURIComponent(device.id)}`;

  const save = async (e: SubmitEvent): Promise<void> => {
    e.preventDefault();
    const form = new FormData(e.currentTarget as HTMLFormElement);
    try {
      const area = String(form.get('area'));
      await api('PATCH', path, { name: String(form.get('name')), areaId: area ? Number(area) : null });
      setMessage({ text: 'Saved.' });
    } catch (err) {
      setMessage({ text: errorText(err), error: true });
    }
  };
  const setDisabled = async (disabled: boolean): Promise<void> => {
    try {
      await api('PATCH', path, { disabled });
      setMessage({ text: disabled ? 'Disabled: its reports are ignored and commands refused.' : 'Enabled: its next report is read again.' });
    } catch (err) {
      setMessage({ text: errorText(err), error: true });
    }
  };
  const remove = async (): Promise<void> => {
    try {
      await api('DELETE', path);
      navigate('/');
    } catch (err) {
      setMessage({ text: errorText(err), error: true });
    }
  };

  return (
    <section class="panel" aria-labelledby="admin-h">
      <h2 id="admin-h">Name and place</h2>
      <form class="stack admin-form" onSubmit={save}>
        <label>Name <input name="name" required maxLength={128} defaultValue={device.name} /></label>
        {/* Picked from the hub's floors and rooms, not typed: a typo cannot split the house in two (issue 18). */}
        <label>Area
          <select name="area" key={current?.id ?? 'none'}>
            <option value="" selected={!current}>No area</option>
            {areaChoices(areas).map((c) => <option key={c.id} value={String(c.id)} selected={c.id === current?.id}>{c.label}</option>)}
          </select>
        </label>
        <p class="hint">Floors and rooms are made on the <Link href="/areas">Areas</Link> page.</p>
        <button type="submit">Save</button>
      </form>
      {message && <p class={message.error ? 'form-error' : 'form-ok'} role={message.error ? 'alert' : 'status'}>{message.text}</p>}
      <h3>{device.disabled ? 'Disabled' : 'Disable'}</h3>
      <p>{device.disabled
        ? 'The hub ignores this device: its reports change nothing (no state, history, rules or logbook) and commands to it are refused.'
        : 'Keep the device but ignore it: its reports change nothing and commands to it are refused, until you enable it again.'}</p>
      <button type="button" onClick={() => void setDisabled(!device.disabled)}>{device.disabled ? 'Enable device' : 'Disable device'}</button>
      <h3>Delete</h3>
      <p>The device and its current state are forgotten; a device that keeps publishing comes back as new. Revoke its account to keep it out.</p>
      {!confirming && <button type="button" class="danger" onClick={() => setConfirming(true)}>Delete device…</button>}
      {confirming && (
        <p class="confirm">
          <button type="button" class="danger" onClick={remove}>Yes, delete {device.name}</button>{' '}
          <button type="button" onClick={() => setConfirming(false)}>Cancel</button>
        </p>
      )}
    </section>
  );
}
