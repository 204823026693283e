// The topic filters each device owns (Convention.ownedFilters), indexed by topic level: the ACL asks it on every
// publish of a device account, so a lookup walks the topic's levels once, whatever the number of devices.

interface Node {
  children: Map<string, Node>;
  /** Owners of a filter that ends exactly here (`a/b`), with how many devices hold it. */
  exact?: Map<string, number>;
  /** Owners of `<this level>/#`: every topic below, and this level itself [MQTT-4.7.1-2]. */
  rest?: Map<string, number>;
  /** The hot path's view of `exact` and `rest`: their one owner, MANY, or undefined (see summary). */
  exactOne?: string | typeof MANY;
  restOne?: string | typeof MANY;
  /** Owners of every filter in this subtree (this node included): a wildcard subscription asks the whole subtree. */
  below: Map<string, number>;
}

const MANY = Symbol('several owners');
/** Topics whose owner is remembered at most: a client publishing random topics restarts the memory, nothing more. */
const maxRemembered = 20_000;
const node = (): Node => ({ children: new Map(), below: new Map() });

/** One owner, MANY, or undefined: a publish is then checked without iterating a map. */
function summary(owners: Map<string, number> | undefined): string | typeof MANY | undefined {
  if (!owners || owners.size === 0) return undefined;
  return owners.size === 1 ? owners.keys().next().value! : MANY;
}

/** An owner other than `me` in a summarised set (the map is read only when there are several). */
function otherIn(one: string | typeof MANY | undefined, owners: Map<string, number> | undefined, me: string): string | undefined {
  if (one === undefined || one === me) return undefined;
  return one === MANY ? other(owners, me) : one;
}

function bump(map: Map<string, number>, owner: string, by: 1 | -1): void {
  const n = (map.get(owner) ?? 0) + by;
  if (n > 0) map.set(owner, n);
  else map.delete(owner);
}

/** Whether `owners` holds an account other than `me`. */
function other(owners: Map<string, number> | undefined, me: string): string | undefined {
  if (!owners) return undefined;
  for (const owner of owners.keys()) if (owner !== me) return owner;
  return undefined;
}

/**
 * Owned filters of every device, by owner. Filters are topics or end in `#`; a `+` inside an owned filter is
 * not used by any convention and is refused (it would make a lookup branch).
 */
export class OwnedTopics {
  private readonly root = node();
  private readonly byDevice = new Map<string, { owner: string; filters: string[] }>();
  /** Topic → its owner (MANY, or null for none), valid until the index changes. */
  private readonly recent = new Map<string, string | typeof MANY | null>();

  get devices(): number {
    return this.byDevice.size;
  }

  /** Sets the filters `deviceId` owns for `owner` (replacing the ones it had). */
  set(deviceId: string, owner: string, filters: readonly string[]): void {
    const usable = [...new Set(filters.filter((f) => f !== '' && f !== '#' && !f.split('/').includes('+') && !f.startsWith('$')))];
    const old = this.byDevice.get(deviceId);
    if (old && old.owner === owner && old.filters.length === usable.length && old.filters.every((f, i) => f === usable[i])) return;
    this.delete(deviceId);
    if (usable.length === 0) return;
    for (const f of usable) this.change(f, owner, 1);
    this.byDevice.set(deviceId, { owner, filters: usable });
  }

  delete(deviceId: string): void {
    const old = this.byDevice.get(deviceId);
    if (!old) return;
    this.byDevice.delete(deviceId);
    for (const f of old.filters) this.change(f, old.owner, -1);
  }

  filtersOf(deviceId: string): readonly string[] {
    return this.byDevice.get(deviceId)?.filters ?? [];
  }

  /** An account other than `me` owning a filter that matches `topic`; O(levels of the topic). */
  otherOwner(topic: string, me: string): string | undefined {
    // Devices repeat their topics: who owns one is remembered until the index changes (bounded, then started again).
    let known = this.recent.get(topic);
    if (known === undefined) {
      known = this.summaryOf(topic);
      if (this.recent.size >= maxRemembered) this.recent.clear();
      this.recent.set(topic, known);
    }
    if (known === null || known === me) return undefined;
    return known === MANY ? this.walk(topic, me) : known;
  }

  /** The owners of filters matching `topic`, summarised: null for none. */
  private summaryOf(topic: string): string | typeof MANY | null {
    const first = this.walk(topic, '');
    if (first === undefined) return null;
    return this.walk(topic, first) === undefined ? first : MANY;
  }

  private walk(topic: string, me: string): string | undefined {
    let n: Node | undefined = this.root;
    let start = 0;
    for (;;) {
      if (n.restOne !== undefined) {
        const hit = otherIn(n.restOne, n.rest, me);
        if (hit) return hit;
      }
      const end = topic.indexOf('/', start);
      n = n.children.get(end < 0 ? topic.slice(start) : topic.slice(start, end));
      if (!n) return undefined;
      if (end < 0) break;
      start = end + 1;
    }
    return otherIn(n.exactOne, n.exact, me) ?? otherIn(n.restOne, n.rest, me);
  }

  /** Any owner of a filter matching `topic` (for replies the hub sends on a device's behalf). */
  owner(topic: string): string | undefined {
    return this.otherOwner(topic, '');
  }

  /**
   * An account other than `me` owning a filter that some topic matching `filter` would also match: the filter
   * would read that account's messages. `#` asks a whole subtree in one step (its owner counts); `+` visits the
   * children of its level, which happens only on SUBSCRIBE, never per message.
   */
  otherOwnerWithin(filter: string, me: string): string | undefined {
    return this.search(this.root, filter.split('/'), 0, me);
  }

  /** Whether one of `me`'s owned `…/#` filters matches every topic `filter` can match. */
  covered(filter: string, me: string): boolean {
    let n: Node | undefined = this.root;
    for (const level of filter.split('/')) {
      if (n.rest?.has(me)) return true;
      if (level === '+' || level === '#') return false;
      n = n.children.get(level);
      if (!n) return false;
    }
    return n.rest?.has(me) ?? false;
  }

  private search(n: Node, levels: string[], i: number, me: string): string | undefined {
    // An owned `…/#` above this point matches anything the filter can still match.
    const rest = other(n.rest, me);
    if (rest) return rest;
    if (i === levels.length) return other(n.exact, me);
    const level = levels[i]!;
    if (level === '#') return other(n.below, me);
    if (level === '+') {
      // [MQTT-4.7.2-1] a wildcard in the first level does not match `$…` topics; owned filters never start with `$`.
      for (const child of n.children.values()) {
        if (!other(child.below, me)) continue;
        const hit = this.search(child, levels, i + 1, me);
        if (hit) return hit;
      }
      return undefined;
    }
    const child = n.children.get(level);
    return child ? this.search(child, levels, i + 1, me) : undefined;
  }

  private change(filter: string, owner: string, by: 1 | -1): void {
    this.recent.clear();
    const levels = filter.split('/');
    const hash = levels.at(-1) === '#';
    if (hash) levels.pop();
    const path: Node[] = [this.root];
    let n = this.root;
    for (const level of levels) {
      let child = n.children.get(level);
      if (!child) {
        if (by < 0) return;
        child = node();
        n.children.set(level, child);
      }
      n = child;
      path.push(n);
    }
    if (hash) {
      bump((n.rest ??= new Map()), owner, by);
      n.restOne = summary(n.rest);
    } else {
      bump((n.exact ??= new Map()), owner, by);
      n.exactOne = summary(n.exact);
    }
    for (const p of path) bump(p.below, owner, by);
    if (by > 0) return;
    // Prune empty branches so a house whose devices come and go does not keep their levels.
    for (let i = path.length - 1; i > 0; i--) {
      const p = path[i]!;
      if (p.below.size > 0 || p.children.size > 0) break;
      path[i - 1]!.children.delete(levels[i - 1]!);
    }
  }
}
