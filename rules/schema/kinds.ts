// Reading the kind of a trigger, condition or action (`trigger: mqtt`, `condition: state`, `action: publish`),
// with messages for unknown kinds and for Home Assistant spellings that users bring with them.

import { isScalar } from 'yaml';
import type { MapReader } from './reader.js';
import { describeNode } from './reader.js';
import { closest } from './suggest.js';

export function readKind<T extends string>(
  map: MapReader,
  key: 'trigger' | 'condition' | 'action',
  kinds: readonly T[],
  /** Known foreign kinds (HA's) and what to write instead. */
  hints: Readonly<Record<string, string>>,
): T | undefined {
  const field = map.field(key);
  if (!field) {
    if (map.has('platform')) {
      map.ctx.report(map.keyNode('platform'), [...map.path, 'platform'], `use '${key}: ...' ('platform' is the old Home Assistant spelling)`);
    } else if (map.has('service')) {
      map.ctx.report(map.keyNode('service'), [...map.path, 'service'], "use 'action: ...' ('service' is the old Home Assistant spelling)");
    } else {
      const keyed = map.keys().find((k) => (kinds as readonly string[]).includes(k));
      const hint = keyed ? `; write '${key}: ${keyed}' (the kind is named by the ${key} key)` : ` (one of: ${kinds.join(', ')})`;
      map.ctx.report(map.node, map.path, `missing required key '${key}'${hint}`);
    }
    return undefined;
  }
  const node = field.node;
  const text = isScalar(node) && typeof node.value === 'string' ? node.value : undefined;
  if (text !== undefined && (kinds as readonly string[]).includes(text)) return text as T;
  let message = `unknown ${key} type ${describeNode(node)}`;
  if (text !== undefined && Object.hasOwn(hints, text)) {
    message += `: ${hints[text]}`;
  } else if (key === 'action' && text?.includes('.')) {
    message += ": Home Assistant services do not exist here; use 'set' (a device property) or 'publish'";
  } else {
    const near = text === undefined ? undefined : closest(text, kinds);
    if (near) message += ` (did you mean '${near}'?)`;
  }
  map.ctx.report(node, field.path, `${message}; valid types: ${kinds.join(', ')}`);
  return undefined;
}
