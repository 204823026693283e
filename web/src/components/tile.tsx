import type { JSX } from 'preact';
import type { Capability, StateValue } from '../../../server/core/model.js';
import { useDevice } from '../live/hooks.js';
import type { ViewDevice } from '../live/store.js';
import { formatValue, propertyLabel } from '../model/format.js';
import { Link } from '../router.js';
import { Control } from './controls.js';
import { Ago } from './time.js';
import { useCommand } from './use-command.js';

/** How many properties a tile lists; the device page shows them all. */
const maxRows = 4;

/**
 * One device on the home page. Subscribes to its own device only, so a change elsewhere never re-renders it.
 * Names and values are untrusted (a device chooses them): they are only ever rendered as text.
 */
export function Tile({ id }: { id: string }): JSX.Element | null {
  const device = useDevice(id);
  const { send, error } = useCommand(id);
  if (!device) return null;
  const caps = device.capabilities.filter((c) => c.kind !== 'event');
  const pending = Object.keys(device.pending).length > 0;
  return (
    <article class="tile" data-device-id={device.id} data-availability={device.availability} data-pending={pending || undefined} aria-busy={pending}>
      <header class="tile-head">
        <h4 class="tile-name"><Link href={`/devices/${encodeURIComponent(device.id)}`}>{device.name}</Link></h4>
        <Availability value={device.availability} />
      </header>
      <ul class="tile-props">
        {caps.slice(0, maxRows).map((cap) => <Row key={cap.property} device={device} cap={cap} send={send} />)}
        {caps.length > maxRows && <li class="more"><Link href={`/devices/${encodeURIComponent(device.id)}`}>{caps.length - maxRows} more…</Link></li>}
      </ul>
      {error && <p class="tile-error" role="alert">{error}</p>}
      <footer class="tile-foot">Last seen <Ago ts={device.lastSeen} /></footer>
    </article>
  );
}

function Row({ device, cap, send }: { device: ViewDevice; cap: Capability; send: (property: string, value: StateValue) => void }): JSX.Element {
  const state = device.state[cap.property];
  const pending = device.pending[cap.property];
  const unconfirmed = device.unconfirmed[cap.property] !== undefined && Date.now() - device.unconfirmed[cap.property]! < 8000;
  return (
    <li class="prop" data-property={cap.property} data-pending={pending ? true : undefined}>
      <span class="prop-label">{propertyLabel(cap.property)}</span>
      <span class="prop-value" data-value={JSON.stringify(state?.value ?? null)}>{formatValue(state?.value, cap)}</span>
      {pending && <span class="prop-pending" role="status">→ {formatValue(pending.value, cap)}…</span>}
      {!pending && unconfirmed && <span class="prop-unconfirmed" role="status">no answer from the device</span>}
      <Control deviceName={device.name} cap={cap} value={state?.value} pending={pending?.value} disabled={device.availability === 'offline'}
        send={(value) => send(cap.property, value)} />
    </li>
  );
}

/**
 * online / offline / unknown / stale. Stale (silent for longer than the device usually is) says when it was last seen
 * where `lastSeen` is given (the tile says it in its footer already).
 */
export function Availability({ value, lastSeen }: { value: ViewDevice['availability']; lastSeen?: number }): JSX.Element {
  const title = value === 'stale' ? 'No report for longer than this device usually waits' : undefined;
  return (
    <span class={`availability ${value}`} title={title}>
      <span class="dot" aria-hidden="true" />{value}
      {value === 'stale' && lastSeen !== undefined && <span class="stale-seen"> · last seen <Ago ts={lastSeen} /></span>}
    </span>
  );
}
