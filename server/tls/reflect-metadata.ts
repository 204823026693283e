/**
 * The smallest Reflect metadata API that @peculiar/x509 needs. Its dependency injection container (tsyringe)
 * refuses to load without `Reflect.getMetadata`, and asks for a polyfill package; x509 never emits decorator
 * metadata, so tsyringe only ever reads "nothing here" and stores its own injection tokens. A WeakMap per target
 * does that, and saves a dependency. Imported for its side effect, before @peculiar/x509 (ESM evaluates imports in
 * order). A real polyfill loaded elsewhere wins: this one installs only what is missing.
 */
type Key = unknown;
const store = new WeakMap<object, Map<Key, unknown>>();

function own(target: object): Map<Key, unknown> {
  let map = store.get(target);
  if (!map) {
    map = new Map();
    store.set(target, map);
  }
  return map;
}

const api = {
  defineMetadata(key: Key, value: unknown, target: object): void {
    own(target).set(key, value);
  },
  getOwnMetadata(key: Key, target: object): unknown {
    return store.get(target)?.get(key);
  },
  getMetadata(key: Key, target: object): unknown {
    // Metadata is inherited along the prototype chain, as in the reflect-metadata proposal.
    for (let o: object | null = target; o; o = Object.getPrototypeOf(o) as object | null) {
      const map = store.get(o);
      if (map?.has(key)) return map.get(key);
    }
    return undefined;
  },
  hasMetadata(key: Key, target: object): boolean {
    return api.getMetadata(key, target) !== undefined;
  },
};

const reflect = Reflect as unknown as Record<string, unknown>;
for (const [name, fn] of Object.entries(api)) if (typeof reflect[name] !== 'function') reflect[name] = fn;

export {};
