// Retained messages indexed by topic level, so that a SUBSCRIBE walks only the matching branches
// instead of testing every retained topic (the in-memory reference implementation scans them all,
// which is fine for hundreds and slow for 100,000).
//
// Matching follows MQTT 3.1.1 section 4.7:
// - levels are separated by '/', and empty levels are levels ("a//b" has three) [MQTT-4.7.1-1];
// - '#' matches the parent level and any number of child levels ("a/#" matches "a") [MQTT-4.7.1-2];
// - '+' matches exactly one level, including an empty one [MQTT-4.7.1-3];
// - a filter starting with a wildcard does not match a topic starting with '$' [MQTT-4.7.2-1].

interface Node<T> {
  children: Map<string, Node<T>>;
  value: T | undefined;
}

const newNode = <T>(): Node<T> => ({ children: new Map(), value: undefined });

export class RetainedTrie<T> {
  #root: Node<T> = newNode();
  #size = 0;

  get size(): number {
    return this.#size;
  }

  get(topic: string): T | undefined {
    let node: Node<T> | undefined = this.#root;
    for (const level of topic.split('/')) {
      node = node.children.get(level);
      if (!node) return undefined;
    }
    return node.value;
  }

  /** Stores `value` under `topic`; returns the value it replaced. */
  set(topic: string, value: T): T | undefined {
    let node = this.#root;
    for (const level of topic.split('/')) {
      let child = node.children.get(level);
      if (!child) {
        child = newNode();
        node.children.set(level, child);
      }
      node = child;
    }
    const previous = node.value;
    if (previous === undefined) this.#size++;
    node.value = value;
    return previous;
  }

  /** Removes `topic`, pruning branches left empty; returns the removed value. */
  delete(topic: string): T | undefined {
    const path: Array<[Node<T>, string]> = [];
    let node = this.#root;
    for (const level of topic.split('/')) {
      const child = node.children.get(level);
      if (!child) return undefined;
      path.push([node, level]);
      node = child;
    }
    const previous = node.value;
    if (previous === undefined) return undefined;
    node.value = undefined;
    this.#size--;
    for (let i = path.length - 1; i >= 0; i--) {
      const [parent, level] = path[i]!;
      const child = parent.children.get(level)!;
      if (child.value !== undefined || child.children.size > 0) break;
      parent.children.delete(level);
    }
    return previous;
  }

  /** The values whose topic matches the filter, in insertion order of each level. */
  match(filter: string): T[] {
    const out: T[] = [];
    collect(this.#root, filter.split('/'), 0, out);
    return out;
  }
}

function collect<T>(node: Node<T>, levels: string[], depth: number, out: T[]): void {
  if (depth === levels.length) {
    if (node.value !== undefined) out.push(node.value);
    return;
  }
  const level = levels[depth]!;
  // [MQTT-4.7.2-1]: at the first level, wildcards skip topics starting with '$'.
  const skipDollar = depth === 0;
  if (level === '#') {
    // [MQTT-4.7.1-2]: '#' also matches the parent ("sport/#" matches "sport"); at the root there is no parent.
    if (depth > 0 && node.value !== undefined) out.push(node.value);
    for (const [name, child] of node.children) {
      if (skipDollar && name.startsWith('$')) continue;
      collectAll(child, out);
    }
    return;
  }
  if (level === '+') {
    for (const [name, child] of node.children) {
      if (skipDollar && name.startsWith('$')) continue;
      collect(child, levels, depth + 1, out);
    }
    return;
  }
  const child = node.children.get(level);
  if (child) collect(child, levels, depth + 1, out);
}

function collectAll<T>(node: Node<T>, out: T[]): void {
  if (node.value !== undefined) out.push(node.value);
  for (const child of node.children.values()) collectAll(child, out);
}
