import type { JSX } from 'preact';
import { Tile } from '../components/tile.js';
import { useAreas, useDerived, useStructure } from '../live/hooks.js';
import { areaLabel, groupByArea } from '../model/areas.js';
import { countLights } from '../model/lights.js';

/** Floors, then rooms, then a tile per device. Re-renders only when devices are added, removed or moved. */
export function HomePage({ loaded }: { loaded: boolean }): JSX.Element {
  const devices = useStructure();
  const areas = useAreas();
  const floors = groupByArea(devices, areas);
  return (
    <>
      <div class="page-head">
        <h1>Home</h1>
        <LightsOn />
      </div>
      {!loaded && devices.length === 0 && <p class="empty">Loading…</p>}
      {loaded && devices.length === 0 && (
        <p class="empty">No devices yet. Give a device an account (<code>npm run rumah -- devices add NAME</code>) and let it publish to <code>home/floor/room/thing</code>.</p>
      )}
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
