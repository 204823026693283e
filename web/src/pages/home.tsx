import type { JSX } from 'preact';
import { Tile } from '../components/tile.js';
import { useAreas, useDerived, useLive, useStructure } from '../live/hooks.js';
import { Link } from '../router.js';
import { areaLabel, groupByArea } from '../model/areas.js';
import { countLights } from '../model/lights.js';

/** Floors, then rooms, then a tile per device. Re-renders only when devices are added, removed or moved. */
export function HomePage({ loaded }: { loaded: boolean }): JSX.Element {
  const all = useStructure();
  const areas = useAreas();
  // A disabled device (the Devices page) is not part of the house until it is enabled again.
  const devices = all.filter((d) => !d.disabled);
  const floors = groupByArea(devices, areas);
  return (
    <>
      <div class="page-head">
        <h1>Home</h1>
        <LightsOn />
      </div>
      {!loaded && devices.length === 0 && <p class="empty">Loading…</p>}
      {loaded && all.length === 0 && <NoDevices />}
      {floors.map((floor) => (
        <section class="floor" key={floor.name} aria-label={areaLabel(floor.name)}>
          <h2>{areaLabel(floor.name)}</h2>
          {floor.rooms.map((room) => (
            <section class="room" key={room.name} aria-label={`${areaLabel(floor.name)}, ${areaLabel(room.name)}`}>
              <h3>{areaLabel(room.name)}</h3>
              <div class="tiles">{room.ids.map((id) => <Tile key={id} id={id} />)}</div>
            </section>
          ))}
        </section>
      ))}
    </>
  );
}

function LightsOn(): JSX.Element {
  const { on, total } = useDerived(countLights);
  return (
    <p class="lights-on" id="lights-on" aria-live="polite">
      <span class="count" data-count={on}>{on}</span> {on === 1 ? 'light' : 'lights'} on
      {total > 0 && <small> of {total}</small>}
    </p>
  );
}

/**
 * The first visit: no device yet. Admins get the two ways in (a join window, or credentials made ahead of time),
 * members a word on whom to ask; nobody is sent to a terminal.
 */
function NoDevices(): JSX.Element {
  const { connection } = useLive();
  const admin = connection.user?.role === 'admin';
  return (
    <section class="panel onboarding" aria-labelledby="start-h" data-empty="true">
      <h2 id="start-h">No devices yet</h2>
      {admin ? (
        <>
          <p>Add the first one: open the join window and let the device connect with any username and password of its own, then accept it; or make credentials first and enter them in the device.</p>
          <p class="onboarding-actions">
            <Link href="/pairing" class="button-link">Pair a device</Link>{' '}
            <Link href="/pairing#creds-h" class="button-link">Create credentials</Link>
            {location.protocol === 'https:' && <>{' '}<Link href="/trust">Trust this hub's certificate</Link></>}
          </p>
        </>
      ) : (
        <p>Devices appear here once an admin of this hub has paired them. Ask an admin to add yours.</p>
      )}
    </section>
  );
}
