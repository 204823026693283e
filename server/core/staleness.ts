import type { Device, StaleSource, StaleWindow } from './model.js';

export type { StaleWindow } from './model.js';

/**
 * When a silent device becomes `stale` (docs/dashboard.md "Honest states"). The allowed silence of a device is, first
 * that applies:
 *   1. `device.staleAfter`, seconds an admin set on the device page (0: never stale);
 *   2. Home Assistant's `expire_after` (the smallest of its capabilities'), seconds: the device said how long its
 *      values hold (HA docs, sensor.mqtt "expire_after"; HA makes the entity unavailable, rumah says stale);
 *   3. none, when the device speaks for its own availability (it published on its availability topic, typically a
 *      last will): what it says there is the truth, and the broker tells its death by the will;
 *   4. learned from its last `gapsKept` report intervals, once `minGaps` are known: the largest of `factor` × their
 *      median, the longest of them, and `minSeconds`. The median follows the usual rhythm and ignores bursts; the
 *      longest gap keeps a device that reports on change plus a slow heartbeat from flapping;
 *   5. before that, the larger of `firstSeconds` and `factor` × the longest gap seen: a device that published once
 *      and left is stale after `firstSeconds`, not online forever.
 * Past a learned or first window, the owner (the registry) may still say no: a device that reports on its own MQTT
 * connection, still open (the broker checks its keepalive), is quiet, not gone; it is asked again at each sweep.
 *
 * Cost: one sweep a `sweepMs` over every tracked device (a comparison each; a window worked out again only for
 * devices that reported since the last sweep, so at most once a sweep whatever their message rate), and per report
 * a few field writes: no timer per device, no sort on the message path. 10,000 devices: a loop of 10,000 a second.
 * Learned intervals live in memory: after a restart each device learns again (until then rule 5 applies).
 */
export interface StalenessOptions {
  /** × the median report interval. */
  factor: number;
  /** The shortest learned silence, seconds. */
  minSeconds: number;
  /** The silence allowed before the rhythm is known, seconds. */
  firstSeconds: number;
  sweepMs?: number;
  now?: () => number;
  /** The device is past its window; `false`: it is not stale after all (asked again at the next sweep). */
  onStale: (deviceId: string, source: StaleSource) => boolean | void;
}


const gapsKept = 16;
const minGaps = 3;

interface Track {
  /** Hub clock of the last report, ms. */
  last: number;
  /** The last report intervals, ms (a ring of up to gapsKept). */
  gaps: number[];
  next: number;
  /** Silence allowed, ms (Infinity: never). */
  window: number;
  /** Reported since the window was worked out. */
  dirty: boolean;
  /** What the window came from. */
  source: StaleSource;
  /** From the setting or expire_after, ms (Infinity: never). */
  fixed?: number;
  fixedSource?: 'setting' | 'expire_after';
  /** The device publishes its own availability. */
  announces: boolean;
  /** Found stale since its last report: told once. */
  stale: boolean;
  /** A report came since tracking began: the next one gives an interval (the first is not one). */
  primed: boolean;
}

export class Staleness {
  private readonly tracks = new Map<string, Track>();
  private readonly now: () => number;
  private timer?: NodeJS.Timeout;

  constructor(private readonly opts: StalenessOptions) {
    this.now = opts.now ?? Date.now;
  }

  /**
   * A device was created, restored or changed (capabilities, the setting): its fixed window is worked out again.
   * Not per report: reading a field most capabilities lack, across capabilities of many shapes, cost about a
   * microsecond per message on the hub's hottest path.
   */
  configure(device: Device): void {
    const track = this.track(device.id);
    track.fixed = undefined;
    track.fixedSource = undefined;
    if (typeof device.staleAfter === 'number' && device.staleAfter >= 0) {
      track.fixed = device.staleAfter === 0 ? Infinity : device.staleAfter * 1000;
      track.fixedSource = 'setting';
    } else {
      let seconds = Infinity;
      for (const cap of device.capabilities) {
        const s = (cap as { expireAfter?: number }).expireAfter;
        if (typeof s === 'number' && s > 0 && s < seconds) seconds = s;
      }
      if (seconds !== Infinity) {
        track.fixed = seconds * 1000;
        track.fixedSource = 'expire_after';
      }
    }
    track.dirty = true;
  }

  /** A report (state or event) from the device: its clock starts again, and the interval is learned. */
  touch(deviceId: string, now = this.now()): void {
    const track = this.tracks.get(deviceId);
    if (!track) return;
    const gap = now - track.last;
    if (track.primed && gap > 0) {
      if (track.gaps.length < gapsKept) track.gaps.push(gap);
      else track.gaps[track.next] = gap;
      track.next = (track.next + 1) % gapsKept;
    }
    track.last = now;
    track.primed = true;
    track.stale = false;
    track.dirty = true;
  }

  /** The device published on its availability topic: from now on that is its truth (no learned staleness). */
  announces(deviceId: string): void {
    const track = this.tracks.get(deviceId);
    if (!track || track.announces) return;
    track.announces = true;
    track.dirty = true;
  }

  forget(deviceId: string): void {
    this.tracks.delete(deviceId);
  }

  /** The window that applies now, for the device page. */
  describe(deviceId: string): StaleWindow | undefined {
    const track = this.tracks.get(deviceId);
    if (!track) return undefined;
    const { window, source } = this.windowOf(track);
    const median = track.gaps.length > 0 ? medianOf(track.gaps) : undefined;
    return {
      seconds: window === Infinity ? null : Math.round(window / 100) / 10,
      source,
      ...(median !== undefined ? { medianSeconds: Math.round(median / 100) / 10 } : {}),
    };
  }

  sweep(): void {
    const now = this.now();
    for (const [id, track] of this.tracks) {
      if (track.stale) continue;
      if (track.dirty) {
        const { window, source } = this.windowOf(track);
        track.window = window;
        track.source = source;
        track.dirty = false;
      }
      if (now - track.last <= track.window) continue;
      track.stale = this.opts.onStale(id, track.source) !== false;
    }
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private track(id: string): Track {
    let track = this.tracks.get(id);
    if (!track) {
      // Silence counts from now: a restored device's last report was before the hub stopped.
      track = { last: this.now(), gaps: [], next: 0, window: Infinity, source: 'first', dirty: true, announces: false, stale: false, primed: false };
      this.tracks.set(id, track);
      this.timer ??= setInterval(() => this.sweep(), this.opts.sweepMs ?? 1000).unref();
    }
    return track;
  }

  private windowOf(track: Track): { window: number; source: StaleSource } {
    if (track.fixed !== undefined) return { window: track.fixed, source: track.fixedSource! };
    if (track.announces) return { window: Infinity, source: 'availability' };
    const { factor, minSeconds, firstSeconds } = this.opts;
    let longest = 0;
    for (const g of track.gaps) if (g > longest) longest = g;
    if (track.gaps.length < minGaps) return { window: Math.max(firstSeconds * 1000, factor * longest), source: 'first' };
    return { window: Math.max(minSeconds * 1000, factor * medianOf(track.gaps), longest), source: 'learned' };
  }
}

/** Reused by medianOf: a typed array sorts numerically without a comparator, and nothing is allocated per call. */
const scratch = new Float64Array(gapsKept);

function medianOf(values: readonly number[]): number {
  for (let i = 0; i < values.length; i++) scratch[i] = values[i]!;
  const sorted = scratch.subarray(0, values.length).sort();
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
