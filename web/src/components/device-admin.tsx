import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { api, errorText } from '../api.js';
import { useStructure } from '../live/hooks.js';
import type { ViewDevice } from '../live/store.js';
import { navigate } from '../router.js';

/** Rename, move to another room, delete: admins only (the hub checks the role again). */
export function DeviceAdmin({ device }: { device: ViewDevice }): JSX.Element {
  const all = useStructure();
  const floors = [...new Set(all.map((d) => d.floor).filter(Boolean))] as string[];
  const rooms = [...new Set(all.map((d) => d.room).filter(Boolean))] as string[];
  const [message, setMessage] = useState<{ text: string; error?: boolean } | undefined>(undefined);
  const [confirming, setConfirming] = useState(false);
  const path = `/api/devices/${encodeURIComponent(device.id)}`;

  const save = async (e: SubmitEvent): Promise<void> => {
    e.preventDefault();
    const form = new FormData(e.currentTarget as HTMLFormElement);
    try {
      await api('PATCH', path, { name: String(form.get('name')), floor: String(form.get('floor')) || null, room: String(form.get('room')) || null });
      setMessage({ text: 'Saved.' });
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
        <label>Floor <input name="floor" list="floors" maxLength={128} defaultValue={device.floor ?? ''} /></label>
        <label>Room <input name="room" list="rooms" maxLength={128} defaultValue={device.room ?? ''} /></label>
        <datalist id="floors">{floors.map((f) => <option key={f} value={f} />)}</datalist>
        <datalist id="rooms">{rooms.map((r) => <option key={r} value={r} />)}</datalist>
        <button type="submit">Save</button>
      </form>
      {message && <p class={message.error ? 'form-error' : 'form-ok'} role={message.error ? 'alert' : 'status'}>{message.text}</p>}
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
