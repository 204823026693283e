import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { api, errorText } from '../api.js';
import type { AreaView } from '../../../server/realtime/protocol.js';
import { useLive } from '../live/hooks.js';
import { areaChoices } from '../model/areas.js';

/** The hub takes at most this many ids per bulk request (server/api/device-bulk.ts maxBulkIds): more go in parts. */
const perRequest = 1000;

interface BulkReply {
  done: number;
  missing: string[];
}

/** Bulk actions on the selected devices (admins): move to an area, rename (one device), disable or enable, forget. */
export interface BulkMessage {
  text: string;
  error?: boolean;
}

/** The page shows `report`'s message: after a forget the selection (and this bar) is gone. */
export function DevicesBulk({ ids, areas, onDone, onClear, report: setMessage }: { ids: string[]; areas: AreaView[]; onDone: (ids: string[]) => void; onClear: () => void; report: (m: BulkMessage) => void }): JSX.Element {
  const { store } = useLive();
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const one = ids.length === 1 ? store.get(ids[0]!) : undefined;

  const inParts = async (body: (part: string[]) => Record<string, unknown>): Promise<number> => {
    let done = 0;
    for (let i = 0; i < ids.length; i += perRequest) done += (await api<BulkReply>('POST', '/api/devices/bulk', body(ids.slice(i, i + perRequest)))).done;
    return done;
  };
  const run = async (what: () => Promise<string>, clear = false): Promise<void> => {
    setBusy(true);
    try {
      setMessage({ text: await what() });
      if (clear) onDone(ids);
    } catch (err) {
      setMessage({ text: errorText(err), error: true });
    } finally {
      setBusy(false);
      setConfirming(false);
    }
  };
  const move = (e: SubmitEvent): void => {
    e.preventDefault();
    const value = String(new FormData(e.currentTarget as HTMLFormElement).get('to'));
    const areaId = value ? Number(value) : null;
    const label = areaId === null ? 'no area' : areaChoices(areas).find((c) => c.id === areaId)?.label ?? 'the area';
    void run(async () => `Moved ${count(await inParts((part) => ({ action: 'move', ids: part, areaId })))} to ${label}.`);
  };
  const rename = (e: SubmitEvent): void => {
    e.preventDefault();
    const name = String(new FormData(e.currentTarget as HTMLFormElement).get('name'));
    void run(async () => {
      await api('PATCH', `/api/devices/${encodeURIComponent(ids[0]!)}`, { name });
      return `Renamed to ${name}.`;
    });
  };
  // Disabled, a device's reports are ignored and commands to it refused (docs/dashboard.md "Devices").
  const setDisabled = (disabled: boolean): void =>
    void run(async () => `${disabled ? 'Disabled' : 'Enabled'} ${count(await inParts((part) => ({ action: disabled ? 'disable' : 'enable', ids: part })))}.${disabled ? ' Their reports are ignored until you enable them.' : ''}`);
  const forget = (): void => void run(async () => `Forgot ${count(await inParts((part) => ({ action: 'forget', ids: part })))}. A device that keeps publishing comes back; revoke its account to keep it out.`, true);

  return (
    <section class="panel bulk" aria-label="Selected devices">
      <p class="bulk-count"><strong>{ids.length}</strong> selected <button type="button" class="link-button" onClick={onClear}>Clear</button></p>
      <div class="bulk-actions">
        <form class="inline-form" onSubmit={move}>
          <label>Move to
            <select name="to">
              <option value="">No area</option>
              {areaChoices(areas).map((c) => <option key={c.id} value={String(c.id)}>{c.label}</option>)}
            </select>
          </label>
          <button type="submit" disabled={busy}>Move</button>
        </form>
        {one && (
          <form class="inline-form" onSubmit={rename} key={one.id}>
            <label>Name <input name="name" required maxLength={128} defaultValue={one.name} /></label>
            <button type="submit" disabled={busy}>Rename</button>
          </form>
        )}
        <button type="button" disabled={busy} onClick={() => setDisabled(true)}>Disable</button>
        <button type="button" disabled={busy} onClick={() => setDisabled(false)}>Enable</button>
        {!confirming && <button type="button" class="danger" disabled={busy} onClick={() => setConfirming(true)}>Forget…</button>}
        {confirming && (
          <p class="confirm">
            <button type="button" class="danger" onClick={forget}>Yes, forget {ids.length === 1 ? one?.name ?? '1 device' : `${ids.length} devices`}</button>{' '}
            <button type="button" onClick={() => setConfirming(false)}>Cancel</button>
          </p>
        )}
      </div>
    </section>
  );
}

function count(n: number): string {
  return `${n} ${n === 1 ? 'device' : 'devices'}`;
}
