import type { JSX } from 'preact';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { LogbookCause, LogbookEntry } from '../../../server/realtime/protocol.js';
import { api, errorText } from '../api.js';
import { useAreas, useLive, useStructure } from '../live/hooks.js';
import type { ViewDevice } from '../live/store.js';
import { areaLabel, groupByArea, noFloor, noRoom } from '../model/areas.js';
import { formatTime } from '../model/format.js';
import { Link } from '../router.js';

// The logbook (server/logbook, docs/dashboard.md#logbook): what happened in the house, newest first. A page of
// entries from GET /api/logbook, older ones with "Load older" (or on reaching the end of the list), new ones from the
// socket's `logbook` event on top, each filtered as the server would.

const PAGE = 50;
const causes: Array<[LogbookCause | '', string]> = [['', 'Everything'], ['device', 'Devices'], ['user', 'People'], ['rule', 'Rules'], ['system', 'The hub']];

interface Filter {
  area: string;
  device: string;
  cause: LogbookCause | '';
}

function readFilter(): Filter {
  const q = new URLSearchParams(location.search);
  const cause = q.get('cause') ?? '';
  return { area: q.get('area') ?? '', device: q.get('device') ?? '', cause: causes.some(([c]) => c === cause) ? (cause as LogbookCause) : '' };
}

function query(f: Filter): string {
  const q = new URLSearchParams();
  if (f.area) q.set('area', f.area);
  if (f.device) q.set('device', f.device);
  if (f.cause) q.set('cause', f.cause);
  return q.toString();
}

/** The same test as the hub's (server/logbook/logbook.ts): a floor, a room, or "floor/room", as devices have them now. */
function inArea(d: ViewDevice | undefined, area: string): boolean {
  if (!d) return false;
  if (d.floor === area || d.room === area) return true;
  const slash = area.lastIndexOf('/');
  return slash > 0 && d.floor === area.slice(0, slash) && d.room === area.slice(slash + 1);
}

const dayFormat = new Intl.DateTimeFormat(undefined, { weekday: 'long', day: 'numeric', month: 'long' });
const clockFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });

function dayLabel(ts: number): string {
  const day = new Date(ts).toDateString();
  if (day === new Date().toDateString()) return 'Today';
  if (day === new Date(Date.now() - 86_400_000).toDateString()) return 'Yesterday';
  return dayFormat.format(ts);
}

export function LogbookPage(): JSX.Element {
  const { store, connection } = useLive();
  const devices = useStructure();
  const [filter, setFilter] = useState<Filter>(readFilter);
  const [entries, setEntries] = useState<LogbookEntry[]>([]);
  const [more, setMore] = useState(false);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<string | undefined>(undefined);
  /** Bumped by each new filter: an answer to an older one is dropped. */
  const generation = useRef(0);
  const end = useRef<HTMLDivElement>(null);
  /** What is shown now, for an answer that arrives later (live entries may have been added meanwhile). */
  const shown = useRef(entries);
  shown.current = entries;

  const load = async (before?: number): Promise<void> => {
    const mine = generation.current;
    setLoading(true);
    try {
      const q = query(filter);
      const r = await api<{ entries: LogbookEntry[]; more: boolean }>('GET', `/api/logbook?limit=${PAGE}${before ? `&before=${before}` : ''}${q ? `&${q}` : ''}`);
      if (mine !== generation.current) return;
      if (before) {
        setEntries((old) => merge(old, r.entries));
        setMore(r.more);
      } else {
        // The newest page (first load, or after a reconnect): it joins what is shown if it reaches back to it;
        // otherwise what is shown has a gap behind it, and the page starts again from here.
        const old = shown.current;
        if (old.length > 0 && (r.entries.length === 0 || r.entries.at(-1)!.id <= old[0]!.id)) {
          // Live entries that came while the first page loaded are joined too: older pages may still be there.
          setEntries(merge(old, r.entries));
          setMore((m) => m || r.more);
        } else {
          setEntries(merge(old.filter((e) => e.id > (r.entries[0]?.id ?? Infinity)), r.entries));
          setMore(r.more);
        }
      }
      setError(undefined);
    } catch (err) {
      if (mine === generation.current) setError(errorText(err));
    } finally {
      if (mine === generation.current) setLoading(false);
    }
  };

  useEffect(() => {
    generation.current++;
    setEntries([]);
    setMore(false);
    const q = query(filter);
    history.replaceState(null, '', `/logbook${q ? `?${q}` : ''}`);
    void load();
  }, [filter.area, filter.device, filter.cause]);

  // New entries on top, if they pass the filter (the area as the device has it now, as the hub filters).
  useEffect(() => connection.onLogbook((batch, reconnected) => {
    if (reconnected) return void load();
    const fresh = batch.entries.filter((e) => (!filter.cause || e.cause === filter.cause)
      && (!filter.device || e.deviceId === filter.device)
      && (!filter.area || (e.deviceId !== undefined && inArea(store.get(e.deviceId), filter.area))));
    if (fresh.length) setEntries((old) => merge(old, fresh));
  }), [connection, store, filter.area, filter.device, filter.cause]);

  // "Load older" by itself when the end of the list comes into view (the button stays for keyboards).
  useEffect(() => {
    const el = end.current;
    if (!el || !more || loading || typeof IntersectionObserver === 'undefined') return;
    // Its callback can come after the filter changed (before this effect's clean-up, or queued before it): `load` and
    // `entries` here are those of the old filter, and its older entries would join the new filter's list.
    const mine = generation.current;
    const observer = new IntersectionObserver((seen) => {
      if (mine === generation.current && seen.some((s) => s.isIntersecting)) void load(entries.at(-1)?.id);
    });
    observer.observe(el);
    return () => observer.disconnect();
  }, [more, loading, entries]);

  // In the house's order (the Areas page), as Home shows them.
  const houseAreas = useAreas();
  const areas = useMemo(() => groupByArea(devices, houseAreas).flatMap((floor) => {
    const f = floor.name === noFloor ? [] : [{ value: floor.name, label: areaLabel(floor.name) }];
    const rooms = floor.rooms.filter((r) => r.name !== noRoom && floor.name !== noFloor).map((r) => ({ value: `${floor.name}/${r.name}`, label: `${areaLabel(floor.name)} · ${areaLabel(r.name)}` }));
    return [...f, ...rooms];
  }), [devices, houseAreas]);
  const choices = useMemo(() => devices.filter((d) => !filter.area || inArea(d, filter.area)).sort((a, b) => a.name.localeCompare(b.name)), [devices, filter.area]);
  const set = (patch: Partial<Filter>): void => setFilter((f) => ({ ...f, ...patch }));

  let lastDay = '';
  return (
    <>
      <div class="page-head"><h1>Logbook</h1></div>
      <form class="logbook-filters" aria-label="Filter the logbook" onSubmit={(e) => e.preventDefault()}>
        <label>Area
          <select name="area" aria-label="Area" value={filter.area} onChange={(e) => set({ area: e.currentTarget.value, device: '' })}>
            <option value="">All areas</option>
            {areas.map((a) => <option key={a.value} value={a.value}>{a.label}</option>)}
          </select>
        </label>
        <label>Device
          <select name="device" aria-label="Device" value={filter.device} onChange={(e) => set({ device: e.currentTarget.value })}>
            <option value="">All devices</option>
            {filter.device && !choices.some((d) => d.id === filter.device) && <option value={filter.device}>{filter.device}</option>}
            {choices.map((d) => <option key={d.id} value={d.id}>{d.name}</option>)}
          </select>
        </label>
        <label>Cause
          <select name="cause" aria-label="Cause" value={filter.cause} onChange={(e) => set({ cause: e.currentTarget.value as LogbookCause | '' })}>
            {causes.map(([value, label]) => <option key={value} value={value}>{label}</option>)}
          </select>
        </label>
      </form>
      {error && <p class="form-error" role="alert">{error}</p>}
      {!loading && !error && entries.length === 0 && <p class="empty">Nothing here yet{query(filter) ? ' for this filter' : ''}.</p>}
      <ol class="logbook" aria-live="polite" aria-relevant="additions">
        {entries.map((e) => {
          const day = dayLabel(e.ts);
          const head = day !== lastDay;
          lastDay = day;
          return (
            <li key={e.id} class={`logbook-entry cause-${e.cause}${e.level ? ` ${e.level}` : ''}`} data-id={e.id} data-kind={e.kind} data-cause={e.cause}>
              {head && <h2 class="logbook-day">{day}</h2>}
              <div class="logbook-line">
                <time dateTime={new Date(e.ts).toISOString()} title={formatTime(e.ts)}>{clockFormat.format(e.ts)}</time>
                <span class="logbook-message">
                  {e.deviceId ? <Link href={`/devices/${encodeURIComponent(e.deviceId)}`}>{e.message}</Link> : e.message}
                </span>
                <span class="badge">{causes.find(([c]) => c === e.cause)?.[1] ?? e.cause}</span>
              </div>
            </li>
          );
        })}
      </ol>
      <div ref={end} class="logbook-end">
        {loading && <p>Loading…</p>}
        {more && !loading && <button type="button" onClick={() => void load(entries.at(-1)?.id)}>Load older</button>}
      </div>
    </>
  );
}

/** Newest first, each id once (a live entry may also come in a page that was being fetched). */
function merge(a: readonly LogbookEntry[], b: readonly LogbookEntry[]): LogbookEntry[] {
  const byId = new Map<number, LogbookEntry>();
  for (const e of [...a, ...b]) byId.set(e.id, e);
  return [...byId.values()].sort((x, y) => y.id - x.id);
}
