// Where the caret is in a rule file, in the rule's terms: at a key or a value, of which place (the rule itself, a
// trigger, a condition, an action, a keep block) and which kind (`trigger: numeric`). Read from the indentation of
// the lines around it, not from a parse: the text being typed is usually not valid YAML yet. Block style only (what
// the examples and the hub write); inside a flow mapping `{...}` nothing is offered.

export type Place = 'rule' | 'trigger' | 'condition' | 'action' | 'option' | 'keep' | 'keepState' | 'unknown';

export interface CaretContext {
  at: 'key' | 'value';
  /** The key whose value is being typed (at: value). */
  key?: string;
  place: Place;
  /** The kind of the mapping (`numeric` for `trigger: numeric`), when it has one yet. */
  kind?: string;
  /** The other keys of the same mapping and their plain values (a `device:` next to `property:`). */
  siblings: Record<string, string>;
  /** Offset in the line where the word being completed starts. */
  from: number;
}

interface Line {
  indent: number;
  dash: boolean;
  /** Column of the mapping key on this line (after `- ` when there is one). */
  keyCol: number;
  key?: string;
  value?: string;
}

const KEY_LINE = /^(\s*)(- +)?([A-Za-z_][\w-]*)\s*:(?:\s+(.*))?$/;

function readLine(text: string): Line | undefined {
  if (/^\s*(#.*)?$/.test(text)) return undefined;
  const m = KEY_LINE.exec(text);
  const indent = /^\s*/.exec(text)![0].length;
  if (!m) {
    const dash = /^(\s*)(- +)/.exec(text);
    return { indent, dash: !!dash, keyCol: dash ? dash[0].length : indent };
  }
  const value = m[4]?.replace(/\s+#.*$/, '').replace(/^["']|["']$/g, '');
  return { indent, dash: !!m[2], keyCol: indent + (m[2]?.length ?? 0), key: m[3], ...(value ? { value } : {}) };
}

const LIST_PLACES: Record<string, Place> = {
  triggers: 'trigger', conditions: 'condition', while: 'condition', actions: 'action', then: 'action', else: 'action',
  default: 'action', options: 'option', for: 'condition',
};
const KIND_KEYS: Record<string, Place> = { trigger: 'trigger', condition: 'condition', action: 'action' };

export function caretContext(lines: readonly string[], lineIndex: number, column: number): CaretContext | undefined {
  const before = lines[lineIndex]!.slice(0, column);
  if (/[{}[\]]/.test(before) || /(^|\s)#/.test(before)) return undefined;
  let at: 'key' | 'value';
  let key: string | undefined;
  let keyCol: number;
  let from: number;
  let dash: boolean;
  let indent: number;
  const valueMatch = /^(\s*)(- +)?([A-Za-z_][\w-]*)\s*:\s+["']?([^"'#]*)$/.exec(before);
  const keyMatch = /^(\s*)(- +)?([A-Za-z_][\w-]*)?$/.exec(before);
  if (valueMatch) {
    at = 'value';
    key = valueMatch[3];
    indent = valueMatch[1]!.length;
    dash = !!valueMatch[2];
    keyCol = indent + (valueMatch[2]?.length ?? 0);
    from = before.length - valueMatch[4]!.length;
  } else if (keyMatch) {
    at = 'key';
    indent = keyMatch[1]!.length;
    dash = !!keyMatch[2];
    keyCol = indent + (keyMatch[2]?.length ?? 0);
    from = keyCol;
  } else {
    return undefined;
  }

  // The mapping the caret is in: lines at the same key column, up to the item's dash (or the parent) and down to the
  // next item.
  const siblings: Record<string, string> = {};
  const current = readLine(lines[lineIndex]!);
  if (current?.key && current.key !== key && at === 'value') siblings[current.key] = current.value ?? '';
  let itemIndent = dash ? indent : keyCol;
  let top = lineIndex;
  if (!dash) {
    for (let j = lineIndex - 1; j >= 0; j--) {
      const l = readLine(lines[j]!);
      if (!l) continue;
      if (l.keyCol === keyCol && l.dash) {
        if (l.key) siblings[l.key] = l.value ?? '';
        itemIndent = l.indent;
        top = j;
        break;
      }
      if (l.indent === keyCol && !l.dash) {
        if (l.key) siblings[l.key] = l.value ?? '';
        top = j;
        continue;
      }
      if (l.indent < keyCol) break;
    }
  }
  for (let j = lineIndex + 1; j < lines.length; j++) {
    const l = readLine(lines[j]!);
    if (!l) continue;
    if (l.indent < keyCol || l.dash && l.indent <= itemIndent) break;
    if (l.indent === keyCol && l.key) siblings[l.key] = l.value ?? '';
  }
  if (key) delete siblings[key];

  // The parent key: the nearest key line above the mapping that is less indented (or, for a list item, a key with
  // nothing after the colon at the dash's own indentation: `triggers:` then `- trigger: x` at column 0).
  const isDashItem = dash || readLine(lines[top]!)?.dash === true;
  const parentOf = (start: number, indent: number, item: boolean): { line: Line; index: number } | undefined => {
    for (let j = start; j >= 0; j--) {
      const l = readLine(lines[j]!);
      if (!l) continue;
      if (l.indent < indent || (item && l.indent === indent && !l.dash && l.key !== undefined && l.value === undefined)) return { line: l, index: j };
    }
    return undefined;
  };
  const parent = keyCol === 0 ? undefined : parentOf(top - 1, itemIndent, isDashItem);
  const grandparent = parent ? parentOf(parent.index - 1, parent.line.dash ? parent.line.indent : parent.line.keyCol, parent.line.dash) : undefined;

  let place: Place = 'unknown';
  let kind: string | undefined;
  for (const [k, p] of Object.entries(KIND_KEYS)) {
    if (siblings[k] !== undefined || key === k) {
      place = p;
      kind = siblings[k] || undefined;
    }
  }
  if (place === 'unknown') {
    if (keyCol === 0) place = 'rule';
    else if (parent?.line.key === 'state' && grandparent?.line.key === 'keep') place = 'keepState';
    else if (parent?.line.key === 'keep') place = 'keep';
    else if (parent?.line.key !== undefined && LIST_PLACES[parent.line.key]) place = LIST_PLACES[parent.line.key]!;
  }
  return { at, ...(key ? { key } : {}), place, ...(kind ? { kind } : {}), siblings, from };
}
