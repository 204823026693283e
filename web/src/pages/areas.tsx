import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, errorText } from '../api.js';
import type { AreaView } from '../../../server/realtime/protocol.js';
import { areaKey } from '../../../server/core/prettify.js';
import { useAreas, useStructure } from '../live/hooks.js';
import type { ViewDevice } from '../live/store.js';
import { Link } from '../router.js';

type Message = { text: string; error?: boolean } | undefined;

/**
 * Floors and rooms (admins): add, rename, reorder, delete, each once for all its devices. The list arrives live
 * (`areas` event), so another admin's change shows here too; the hub checks the role again on every call.
 */
export function AreasPage(): JSX.Element {
  const areas = useAreas();
  const devices = useStructure();
  const [message, setMessage] = useState<Message>(undefined);
  useEffect(() => {
    document.title = 'Floors and rooms · rumah';
    return () => void (document.title = 'rumah');
  }, []);
  const run = async (what: () => Promise<string>): Promise<boolean> => {
    try {
      setMessage({ text: await what() });
      return true;
    } catch (err) {
      setMessage({ text: errorText(err), error: true });
      return false;
    }
  };
  const floors = areas.filter((a) => a.kind === 'floor');
  const rooms = areas.filter((a) => a.kind === 'room');
  const loose = rooms.filter((r) => r.floorId === undefined);
  return (
    <>
      <p class="crumbs"><Link href="/devices">Devices</Link> › Floors and rooms</p>
      <h1>Floors and rooms</h1>
      <p class="hint">In the order the home page shows them. Renaming or deleting one does it for all its devices; devices are moved on the <Link href="/devices">Devices</Link> page or their own page.</p>
      {message && <p class={message.error ? 'form-error' : 'form-ok'} role={message.error ? 'alert' : 'status'}>{message.text}</p>}
      <AddForm label="New floor" button="Add floor" onAdd={(name) => run(async () => {
        await api('POST', '/api/areas', { kind: 'floor', name });
        return `Floor ${name} added.`;
      })} />
      <ol class="areas">
        {floors.map((floor, i) => (
          <li key={floor.id} class="area-floor" data-area-id={floor.id}>
            <AreaRow area={floor} index={i} count={floors.length} devices={devices} floorName={undefined} run={run} />
            <ol class="areas rooms">
              {rooms.filter((r) => r.floorId === floor.id).map((room, j, list) => (
                <li key={room.id} class="area-room" data-area-id={room.id}>
                  <AreaRow area={room} index={j} count={list.length} devices={devices} floorName={floor.name} run={run} />
                </li>
              ))}
            </ol>
            <AddForm label={`New room on ${floor.name}`} button="Add room" onAdd={(name) => run(async () => {
              await api('POST', '/api/areas', { kind: 'room', name, floorId: floor.id });
              return `Room ${name} added to ${floor.name}.`;
            })} />
          </li>
        ))}
      </ol>
      {loose.length > 0 && (
        <section aria-labelledby="loose-h">
          <h2 id="loose-h">Rooms without a floor</h2>
          <ol class="areas rooms">
            {loose.map((room, j) => (
              <li key={room.id} class="area-room" data-area-id={room.id}>
                <AreaRow area={room} index={j} count={loose.length} devices={devices} floorName={undefined} run={run} floors={floors} />
              </li>
            ))}
          </ol>
        </section>
      )}
    </>
  );
}

function AddForm({ label, button, onAdd }: { label: string; button: string; onAdd: (name: string) => Promise<boolean> }): JSX.Element {
  const submit = async (e: SubmitEvent): Promise<void> => {
    e.preventDefault();
    const form = e.currentTarget as HTMLFormElement;
    if (await onAdd(String(new FormData(form).get('name')).trim())) form.reset();
  };
  return (
    <form class="inline-form area-add" onSubmit={(e) => void submit(e)}>
      <label>{label} <input name="name" required maxLength={128} /></label>
      <button type="submit">{button}</button>
    </form>
  );
}

interface RowProps {
  area: AreaView;
  index: number;
  count: number;
  devices: ViewDevice[];
  floorName: string | undefined;
  run: (what: () => Promise<string>) => Promise<boolean>;
  /** Rooms without a floor: the floors they may be put on. */
  floors?: AreaView[];
}

function AreaRow({ area, index, count, devices, floorName, run, floors }: RowProps): JSX.Element {
  const [editing, setEditing] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const path = `/api/areas/${area.id}`;
  const members = devicesIn(area, floorName, devices).length;
  const kind = area.kind === 'floor' ? 'floor' : 'room';
  const rename = async (e: SubmitEvent): Promise<void> => {
    e.preventDefault();
    const name = String(new FormData(e.currentTarget as HTMLFormElement).get('name')).trim();
    if (await run(async () => {
      await api('PATCH', path, { name });
      return `Renamed to ${name}${members > 0 ? ` on ${members} ${members === 1 ? 'device' : 'devices'}` : ''}.`;
    })) setEditing(false);
  };
  const move = (position: number): void => void run(async () => {
    await api('PATCH', path, { position });
    return `${area.name} moved ${position < index ? 'up' : 'down'}.`;
  });
  const remove = (): void => void run(async () => {
    const r = await api<{ unassigned: number; rooms: number }>('DELETE', path);
    const rooms = r.rooms > 0 ? ` and its ${r.rooms} ${r.rooms === 1 ? 'room' : 'rooms'}` : '';
    const one = r.unassigned === 1;
    const left = area.kind === 'floor' ? (one ? 'now has no area' : 'now have no area') : (one ? 'stays on its floor without a room' : 'stay on their floor without a room');
    return `Deleted ${area.name}${rooms}: ${r.unassigned} ${r.unassigned === 1 ? 'device' : 'devices'} ${left}.`;
  });
  return (
    <div class="area-row" role="group" aria-label={`${kind} ${area.name}`}>
      {editing ? (
        <form class="inline-form" onSubmit={(e) => void rename(e)}>
          <label>Name of {kind} <input name="name" required maxLength={128} defaultValue={area.name} /></label>
          <button type="submit">Save</button>
          <button type="button" onClick={() => setEditing(false)}>Cancel</button>
        </form>
      ) : (
        <span class="area-name"><strong>{area.name}</strong> <small>{members} {members === 1 ? 'device' : 'devices'}</small></span>
      )}
      <span class="area-actions">
        {!editing && <button type="button" onClick={() => setEditing(true)} aria-label={`Rename ${area.name}`}>Rename</button>}
        <button type="button" disabled={index === 0} onClick={() => move(index - 1)} aria-label={`Move ${area.name} up`}>↑</button>
        <button type="button" disabled={index === count - 1} onClick={() => move(index + 1)} aria-label={`Move ${area.name} down`}>↓</button>
        {floors && floors.length > 0 && (
          <select aria-label={`Put ${area.name} on a floor`} onChange={(e) => {
            const floorId = Number(e.currentTarget.value);
            if (floorId) void run(async () => (await api('PATCH', path, { floorId }), `${area.name} put on its floor.`));
          }}>
            <option value="">Put on floor…</option>
            {floors.map((f) => <option key={f.id} value={String(f.id)}>{f.name}</option>)}
          </select>
        )}
        {!confirming && <button type="button" class="danger" onClick={() => setConfirming(true)} aria-label={`Delete ${area.name}`}>Delete…</button>}
      </span>
      {confirming && (
        <p class="confirm" role="alert">
          {members > 0 ? `${members} ${members === 1 ? 'device' : 'devices'} will ${area.kind === 'floor' ? 'have no area' : 'have no room'}. ` : ''}
          <button type="button" class="danger" onClick={remove}>Yes, delete {area.name}</button>{' '}
          <button type="button" onClick={() => setConfirming(false)}>Cancel</button>
        </p>
      )}
    </div>
  );
}

/** The devices in an area, matched by name as the hub does (server/api/areas.ts members()). */
function devicesIn(area: AreaView, floorName: string | undefined, devices: ViewDevice[]): ViewDevice[] {
  const key = areaKey(area.name);
  if (area.kind === 'floor') return devices.filter((d) => d.floor !== undefined && areaKey(d.floor) === key);
  const floorKey = floorName === undefined ? undefined : areaKey(floorName);
  return devices.filter((d) => d.room !== undefined && areaKey(d.room) === key && (d.floor === undefined ? undefined : areaKey(d.floor)) === floorKey);
}
