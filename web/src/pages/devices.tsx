import { Component, type JSX } from 'preact';
import { useCallback, useEffect, useState } from 'preact/hooks';
import type { User } from '../api.js';
import { Availability } from '../components/tile.js';
import { Ago } from '../components/time.js';
import { useAreas, useDevice, useStructure } from '../live/hooks.js';
import { areaChoices, placeLabel } from '../model/areas.js';
import { Link } from '../router.js';
import { DevicesBulk, type BulkMessage } from './devices-bulk.js';
import { batteryOf, linkOf, selectDevices, shownAvailability, type ListQuery, type SortKey } from './devices-filter.js';

const columns: Array<[SortKey, string]> = [
  ['name', 'Name'], ['area', 'Area'], ['convention', 'Convention'], ['owner', 'Account'], ['availability', 'Availability'],
  ['lastSeen', 'Last seen'], ['battery', 'Battery'], ['link', 'Link'],
];

/**
 * Every device in one table: search, filters, sort by any column; admins select rows for bulk actions. The table
 * re-renders when devices are added, removed, renamed or moved, or a choice of the page changes; each row follows
 * its own device (useDevice), so a state delta re-renders one row. Rows keep their place while values change: a
 * sort by "last seen" is redone when a choice changes, not at every report.
 */
export function DevicesPage({ user, loaded }: { user: User; loaded: boolean }): JSX.Element {
  const devices = useStructure();
  const areas = useAreas();
  const admin = user.role === 'admin';
  const [query, setQuery] = useState<ListQuery>({ text: '', area: '', convention: '', availability: '', sort: 'name', descending: false });
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  const [message, setMessage] = useState<BulkMessage | undefined>(undefined);
  useEffect(() => {
    document.title = 'Devices · rumah';
    return () => void (document.title = 'rumah');
  }, []);

  const visible = selectDevices(devices, areas, query);
  const conventions = [...new Set(devices.map((d) => d.convention))].sort();
  const set = (patch: Partial<ListQuery>): void => setQuery((q) => ({ ...q, ...patch }));
  const toggle = useCallback((id: string, on: boolean) => setSelected((s) => {
    const next = new Set(s);
    if (on) next.add(id);
    else next.delete(id);
    return next;
  }), []);
  // Selected devices that were deleted meanwhile drop out of the selection.
  const chosen = [...selected].filter((id) => devices.some((d) => d.id === id));
  const allVisible = visible.length > 0 && visible.every((d) => selected.has(d.id));
  const selectAll = (on: boolean): void => setSelected((s) => {
    const next = new Set(s);
    for (const d of visible) on ? next.add(d.id) : next.delete(d.id);
    return next;
  });

  return (
    <>
      <div class="page-head">
        <h1>Devices</h1>
        <p class="meta" id="devices-count" aria-live="polite">{visible.length === devices.length ? `${devices.length} ${devices.length === 1 ? 'device' : 'devices'}` : `${visible.length} of ${devices.length} devices`}</p>
        {admin && <Link href="/areas">Floors and rooms</Link>}
      </div>
      <form class="devices-filters" role="search" aria-label="Devices" onSubmit={(e) => e.preventDefault()}>
        <label>Search <input type="search" name="q" placeholder="Name, id or topic" value={query.text} onInput={(e) => set({ text: e.currentTarget.value })} /></label>
        <label>Area
          <select name="area" value={query.area} onChange={(e) => set({ area: e.currentTarget.value })}>
            <option value="">All areas</option>
            <option value="none">No area</option>
            {areaChoices(areas).map((c) => <option key={c.id} value={String(c.id)}>{c.label}</option>)}
          </select>
        </label>
        <label>Convention
          <select name="convention" value={query.convention} onChange={(e) => set({ convention: e.currentTarget.value })}>
            <option value="">All</option>
            {conventions.map((c) => <option key={c} value={c}>{c}</option>)}
          </select>
        </label>
        <label>Availability
          <select name="availability" value={query.availability} onChange={(e) => set({ availability: e.currentTarget.value })}>
            <option value="">All</option>
            <option value="online">online</option>
            <option value="offline">offline</option>
            <option value="stale">stale</option>
            <option value="unknown">unknown</option>
            <option value="disabled">disabled</option>
          </select>
        </label>
      </form>
      {admin && chosen.length > 0 && <DevicesBulk ids={chosen} areas={areas} onDone={(ids) => setSelected((s) => new Set([...s].filter((id) => !ids.includes(id))))} onClear={() => setSelected(new Set())} report={setMessage} />}
      {message && <p class={message.error ? 'form-error' : 'form-ok'} role={message.error ? 'alert' : 'status'}>{message.text}</p>}
      {!loaded && devices.length === 0 && <p class="empty">Loading…</p>}
      {loaded && devices.length === 0 && <p class="empty">No devices yet.</p>}
      {devices.length > 0 && (
        // Roles spelled out: rows laid out as grids (app.css: 1,000 rows) must stay a table to assistive technology.
        <table role="table" class={admin ? 'devices-table admin' : 'devices-table'}>
          <thead>
            <tr role="row">
              {admin && <th scope="col" role="columnheader" class="select"><input type="checkbox" aria-label="Select all shown" checked={allVisible} onChange={(e) => selectAll(e.currentTarget.checked)} /></th>}
              {columns.map(([key, label]) => (
                <th scope="col" role="columnheader" key={key} aria-sort={query.sort === key ? (query.descending ? 'descending' : 'ascending') : undefined}>
                  <button type="button" class="sort" onClick={() => set(query.sort === key ? { descending: !query.descending } : { sort: key, descending: false })}>
                    {label}<span aria-hidden="true">{query.sort === key ? (query.descending ? ' ▼' : ' ▲') : ''}</span>
                  </button>
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {visible.map((d) => <Row key={d.id} id={d.id} admin={admin} selected={selected.has(d.id)} onSelect={toggle} />)}
          </tbody>
        </table>
      )}
      {devices.length > 0 && visible.length === 0 && <p class="empty">No device matches.</p>}
    </>
  );
}

interface RowProps {
  id: string;
  admin: boolean;
  selected: boolean;
  onSelect: (id: string, on: boolean) => void;
}

/** One device; re-renders when its device changes (or its selection), not with the table. */
class Row extends Component<RowProps> {
  override shouldComponentUpdate(next: RowProps): boolean {
    const p = this.props;
    return next.id !== p.id || next.selected !== p.selected || next.admin !== p.admin || next.onSelect !== p.onSelect;
  }

  override render(): JSX.Element {
    return <RowView {...this.props} />;
  }
}

function RowView({ id, admin, selected, onSelect }: RowProps): JSX.Element | null {
  const d = useDevice(id);
  if (!d) return null;
  const battery = batteryOf(d);
  const link = linkOf(d);
  return (
    <tr role="row" data-device-id={id} data-availability={shownAvailability(d)} data-selected={selected ? true : undefined}>
      {admin && <td role="cell" class="select"><input type="checkbox" aria-label={`Select ${d.name}`} checked={selected} onChange={(e) => onSelect(id, e.currentTarget.checked)} /></td>}
      <th scope="row" role="rowheader" data-label="Name"><Link href={`/devices/${encodeURIComponent(id)}`}>{d.name}</Link><small><code>{id}</code></small></th>
      <td role="cell" data-label="Area">{placeLabel(d)}</td>
      <td role="cell" data-label="Convention">{d.convention}</td>
      <td role="cell" data-label="Account">{d.owner ?? '—'}</td>
      <td role="cell" data-label="Availability">{d.disabled ? <span class="badge disabled-badge" title="Its reports are ignored and commands refused until an admin enables it">disabled</span> : <Availability value={d.availability} />}</td>
      <td role="cell" data-label="Last seen"><Ago ts={d.lastSeen} /></td>
      <td role="cell" data-label="Battery" class="num">{battery === undefined ? '—' : `${battery} %`}</td>
      <td role="cell" data-label="Link" class="num">{link === undefined ? '—' : `${link.value}${link.unit ? ` ${link.unit}` : ''}`}</td>
    </tr>
  );
}
