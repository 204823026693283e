// The index of mqtt triggers: a trie over topic levels, so a message costs one walk down its levels whatever the
// number of rules (a list of 1,000 filters would be 1,000 matches per message). Semantics are MQTT 3.1.1 section
// 4.7: `+` one level, `#` any remaining levels including none [MQTT-4.7.1-2], and wildcards in the first level do
// not match `$` topics [MQTT-4.7.2-1].

interface TrieNode<T> {
  children: Map<string, TrieNode<T>>;
  plus?: TrieNode<T>;
  /** Entries whose filter ends here. */
  here: Set<T>;
  /** Entries whose filter ends with `#` below this node. */
  hash: Set<T>;
}

const node = <T>(): TrieNode<T> => ({ children: new Map(), here: new Set(), hash: new Set() });

export class TopicTrie<T> {
  private readonly root: TrieNode<T> = node();
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** Adds `entry` under `filter`; the returned function removes it. */
  add(filter: string, entry: T): () => void {
    const levels = filter.split('/');
    const path: Array<[TrieNode<T>, string]> = [];
    let at = this.root;
    for (const level of levels) {
      if (level === '#') {
        at.hash.add(entry);
        this.count++;
        return () => this.remove(path, at, entry, true);
      }
      let next = level === '+' ? at.plus : at.children.get(level);
      if (!next) {
        next = node();
        if (level === '+') at.plus = next;
        else at.children.set(level, next);
      }
      path.push([at, level]);
      at = next;
    }
    at.here.add(entry);
    this.count++;
    return () => this.remove(path, at, entry, false);
  }

  /** Every entry whose filter matches the topic, given as its levels (split once by the caller). */
  match(levels: readonly string[], out: T[] = []): T[] {
    const dollar = levels[0]?.startsWith('$') ?? false;
    this.walk(this.root, levels, 0, out, dollar);
    return out;
  }

  private walk(at: TrieNode<T>, levels: readonly string[], i: number, out: T[], dollar: boolean): void {
    const first = i === 0 && dollar;
    // `a/#` matches `a` itself as well as everything below it.
    if (!first) for (const e of at.hash) out.push(e);
    if (i === levels.length) {
      for (const e of at.here) out.push(e);
      return;
    }
    const exact = at.children.get(levels[i]!);
    if (exact) this.walk(exact, levels, i + 1, out, dollar);
    if (at.plus && !first) this.walk(at.plus, levels, i + 1, out, dollar);
  }

  private remove(path: Array<[TrieNode<T>, string]>, at: TrieNode<T>, entry: T, hash: boolean): void {
    const set = hash ? at.hash : at.here;
    if (!set.delete(entry)) return;
    this.count--;
    // Prune empty nodes bottom-up so a churn of reloaded rules does not grow the trie.
    let child = at;
    for (let i = path.length - 1; i >= 0; i--) {
      if (child.here.size || child.hash.size || child.children.size || child.plus) break;
      const [parent, level] = path[i]!;
      if (level === '+') parent.plus = undefined;
      else parent.children.delete(level);
      child = parent;
    }
  }
}
