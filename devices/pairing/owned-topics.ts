// The topic filters each device owns (Convention.ownedFilters), indexed by topic level: the ACL asks it on every
// publish of a device account, so a lookup walks the topic's levels once, whatever the number of devices.

interface Node {
  children: Map<string, Node>;
  /** Owners of a filter that ends exactly here (`a/b`), with how many devices hold it. */
  exact?: Map<string, number>;
  /** Owners of `<this level>/#`: every topic below, and this level itself [MQTT-4.7.1-2]. */
  rest?: Map<string, number>;
  /** Owners of every filter in this subtree (this node included): a wildcard subscription asks the whole subtree. */
  below: Map<string, number>;
}

const node = (): Node => ({ children: new Map(), below: new Map() });

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
    let n: Node | undefined = this.root;
    for (const level of topic.split('/')) {
      const hit = other(n.rest, me);
      if (hit) return hit;
      n = n.children.get(level);
      if (!n) return undefined;
    }
    return other(n.exact, me) ?? other(n.rest, me);
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
    if (hash) bump((n.rest ??= new Map()), owner, by);
    else bump((n.exact ??= new Map()), owner, by);
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
