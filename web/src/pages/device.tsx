import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { User } from '../api.js';
import { api } from '../api.js';
import { Control } from '../components/controls.js';
import { DeviceAdmin } from '../components/device-admin.js';
import { History } from '../components/history.js';
import { Staleness } from '../components/staleness.js';
import { Availability } from '../components/tile.js';
import { Ago } from '../components/time.js';
import { useCommand } from '../components/use-command.js';
import { useDevice } from '../live/hooks.js';
import type { ViewDevice } from '../live/store.js';
import { areaLabel } from '../model/areas.js';
import { formatTime, formatValue, propertyLabel } from '../model/format.js';
import { Link } from '../router.js';

/** Everything about one device: live properties with controls, history, refused messages, and (admins) editing. */
export function DevicePage({ id, user, loaded }: { id: string; user: User; loaded: boolean }): JSX.Element {
  const device = useDevice(id);
  useEffect(() => {
    if (device) document.title = `${device.name} · rumah`;
    return () => void (document.title = 'rumah');
  }, [device?.name]);
  if (!device) {
    return loaded ? <><h1>No such device</h1><p>It may have been deleted. <Link href="/">Back home</Link></p></> : <p>Loading…</p>;
  }
  return (
    <>
      <p class="crumbs"><Link href="/">Home</Link> › {areaLabel(device.floor ?? '—')} › {areaLabel(device.room ?? '—')}</p>
      <div class="page-head">
        <h1 data-device-id={device.id}>{device.name}</h1>
        {device.disabled ? <span class="badge disabled-badge">disabled</span> : <Availability value={device.availability} lastSeen={device.lastSeen} />}
      </div>
      <p class="meta">
        <span>Last seen <Ago ts={device.lastSeen} /></span> · <span>{device.convention}</span> · <code>{device.topic}</code>
        {' · '}<Link href={`/logbook?device=${encodeURIComponent(device.id)}`}>Logbook</Link>
      </p>
      <Properties device={device} />
      <section class="panel" aria-labelledby="history-h">
        <h2 id="history-h">History</h2>
        <History device={device} />
      </section>
      <Staleness device={device} admin={user.role === 'admin'} />
      <RecentMessages id={device.id} lastSeen={device.lastSeen} />
      <RefusedMessages id={device.id} />
      {user.role === 'admin' && <DeviceAdmin key={device.id} device={device} />}
    </>
  );
}

function Properties({ device }: { device: ViewDevice }): JSX.Element {
  const { send, error } = useCommand(device.id);
  return (
    <section class="panel" aria-labelledby="props-h">
      <h2 id="props-h">Properties</h2>
      <table class="props">
        <thead><tr><th scope="col">Property</th><th scope="col">Value</th><th scope="col">Updated</th><th scope="col">Control</th></tr></thead>
        <tbody>
          {device.capabilities.map((cap) => {
            const state = device.state[cap.property];
            const pending = device.pending[cap.property];
            return (
              <tr key={cap.property} data-property={cap.property} data-pending={pending ? true : undefined}>
                <th scope="row">{propertyLabel(cap.property)} <small>{cap.kind}{cap.access.settable ? ', settable' : ''}</small></th>
                <td>{cap.kind === 'event' ? '(events)' : formatValue(state?.value, cap)}{pending && <span class="prop-pending" role="status"> → {formatValue(pending.value, cap)}…</span>}</td>
                <td>{state ? <time dateTime={new Date(state.ts).toISOString()}>{formatTime(state.ts)}</time> : '—'}</td>
                <td><Control deviceName={device.name} cap={cap} value={state?.value} pending={pending?.value} send={(v) => send(cap.property, v)} /></td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {error && <p class="form-error" role="alert">{error}</p>}
    </section>
  );
}

/** What the device really sent, newest first (refreshed when it is seen again). Payloads are shown as text. */
function RecentMessages({ id, lastSeen }: { id: string; lastSeen?: number }): JSX.Element | null {
  const [messages, setMessages] = useState<Array<{ ts: number; topic: string; payload: string; retain: boolean }>>([]);
  useEffect(() => {
    api<{ messages: typeof messages }>('GET', `/api/devices/${encodeURIComponent(id)}/messages`).then((r) => setMessages(r.messages), () => setMessages([]));
  }, [id, lastSeen]);
  if (messages.length === 0) return null;
  return (
    <section class="panel" aria-labelledby="raw-h">
      <h2 id="raw-h">Recent messages</h2>
      <ul class="log">
        {messages.slice().reverse().map((m, i) => <li key={i}><time>{formatTime(m.ts)}</time> <code>{m.topic}</code> <code>{m.payload}</code>{m.retain ? ' (retained)' : ''}</li>)}
      </ul>
    </section>
  );
}

function RefusedMessages({ id }: { id: string }): JSX.Element | null {
  const [entries, setEntries] = useState<Array<{ ts: number; topic: string; reason: string }>>([]);
  useEffect(() => {
    api<{ entries: typeof entries }>('GET', `/api/devices/${encodeURIComponent(id)}/log`).then((r) => setEntries(r.entries), () => setEntries([]));
  }, [id]);
  if (entries.length === 0) return null;
  return (
    <section class="panel" aria-labelledby="log-h">
      <h2 id="log-h">Refused messages</h2>
      <ul class="log">
        {entries.slice().reverse().map((e, i) => <li key={i}><time>{formatTime(e.ts)}</time> <code>{e.topic}</code> {e.reason}</li>)}
      </ul>
    </section>
  );
}
