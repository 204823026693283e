// MQTT topic filters and the rule-file extension of them: a level written `{name}` matches like `+` and binds the
// level's text to a variable (`ourhome/{floor}/{room}/light` → floor, room). Checks cite the MQTT 3.1.1 spec.

export interface TopicProblem {
  message: string;
  /** 0-based index in the checked text where the problem is. */
  offset: number;
}

export interface TopicPattern {
  /** The plain MQTT filter the broker understands (`{name}` levels become `+`). */
  filter: string;
  /** For each level, the variable it binds, or undefined. */
  bindings: (string | undefined)[];
  /** The variable names, in order. */
  variables: string[];
}

/** Names the engine already puts in an mqtt trigger's scope: a topic variable must not hide them. */
export const RESERVED_TOPIC_VARIABLES: readonly string[] = ['trigger', 'topic', 'payload', 'value', 'value_json'];

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
// [MQTT-4.7.3-3] a topic is at most 65535 bytes of UTF-8.
const MAX_TOPIC_BYTES = 65_535;

function commonChecks(text: string, what: string): TopicProblem | undefined {
  // [MQTT-4.7.3-1] topic names and filters are at least one character long.
  if (text.length === 0) return { message: `${what} must not be empty`, offset: 0 };
  // [MQTT-4.7.3-2] they must not contain the null character U+0000.
  const nul = text.indexOf('\u0000');
  if (nul >= 0) return { message: `${what} must not contain the null character`, offset: nul };
  if (Buffer.byteLength(text, 'utf8') > MAX_TOPIC_BYTES) return { message: `${what} is longer than 65535 bytes`, offset: 0 };
  return undefined;
}

/** Check a plain MQTT filter (`+`, `#`, no named levels). */
export function checkTopicFilter(filter: string): TopicProblem | undefined {
  const common = commonChecks(filter, 'a topic filter');
  if (common) return common;
  let offset = 0;
  const levels = filter.split('/');
  for (let i = 0; i < levels.length; i++) {
    const level = levels[i]!;
    const hash = level.indexOf('#');
    if (hash >= 0) {
      // [MQTT-4.7.1-2] '#' must occupy a whole level and be the last character of the filter.
      if (level !== '#') return { message: "'#' must fill a whole level", offset: offset + hash };
      if (i !== levels.length - 1) return { message: "'#' must be the last level", offset: offset + hash };
    }
    const plus = level.indexOf('+');
    // [MQTT-4.7.1-3] '+' must occupy an entire level.
    if (plus >= 0 && level !== '+') return { message: "'+' must fill a whole level", offset: offset + plus };
    offset += level.length + 1;
  }
  return undefined;
}

/** Check a topic to publish to: no wildcards at all [MQTT-3.3.2-2]. */
export function checkPublishTopic(topic: string): TopicProblem | undefined {
  const common = commonChecks(topic, 'a topic');
  if (common) return common;
  const wildcard = topic.search(/[+#]/);
  if (wildcard >= 0) {
    return { message: `a topic to publish to cannot contain the wildcard '${topic[wildcard]}'`, offset: wildcard };
  }
  return undefined;
}

/** Parse a trigger's topic: a filter whose levels may be `{name}`. */
export function parseTopicPattern(pattern: string): { ok: true; pattern: TopicPattern } | ({ ok: false } & TopicProblem) {
  const levels = pattern.split('/');
  const bindings: (string | undefined)[] = [];
  const filterLevels: string[] = [];
  let offset = 0;
  for (const level of levels) {
    const open = level.indexOf('{');
    const close = level.indexOf('}');
    if (open < 0 && close < 0) {
      bindings.push(undefined);
      filterLevels.push(level);
    } else {
      if (open !== 0 || close !== level.length - 1) {
        return { ok: false, message: 'a named level {name} must fill a whole level', offset: offset + Math.max(open, 0) };
      }
      const name = level.slice(1, -1);
      if (!NAME.test(name)) {
        return { ok: false, message: `'${name}' is not a valid variable name (letters, digits and _)`, offset: offset + 1 };
      }
      if (bindings.includes(name)) return { ok: false, message: `the variable '${name}' is named twice`, offset: offset + 1 };
      if (RESERVED_TOPIC_VARIABLES.includes(name)) {
        return { ok: false, message: `'${name}' would hide the trigger variable of the same name`, offset: offset + 1 };
      }
      bindings.push(name);
      filterLevels.push('+');
    }
    offset += level.length + 1;
  }
  const filter = filterLevels.join('/');
  // Offsets stay right: a `{name}` level and its `+` only differ inside that level, which is valid.
  const problem = checkTopicFilter(filter);
  if (problem) return { ok: false, ...problem, offset: mapOffset(levels, filterLevels, problem.offset) };
  return { ok: true, pattern: { filter, bindings, variables: bindings.filter((b): b is string => b !== undefined) } };
}

function mapOffset(original: string[], replaced: string[], offset: number): number {
  let from = 0;
  let to = 0;
  for (let i = 0; i < replaced.length; i++) {
    const len = replaced[i]!.length;
    if (offset <= to + len) return from + Math.min(offset - to, original[i]!.length);
    from += original[i]!.length + 1;
    to += len + 1;
  }
  return offset;
}

/** Does the topic match the filter? [MQTT-4.7.2-1] wildcards at the first level do not match `$` topics. */
export function topicMatches(filter: string, topic: string): boolean {
  return matchLevels(filter.split('/'), topic, undefined) !== undefined;
}

/** Match a topic against a pattern; the bound variables, or undefined when it does not match. */
export function matchTopicPattern(pattern: TopicPattern, topic: string): Record<string, string> | undefined {
  return matchLevels(pattern.filter.split('/'), topic, pattern.bindings);
}

function matchLevels(filter: string[], topic: string, bindings: (string | undefined)[] | undefined): Record<string, string> | undefined {
  const levels = topic.split('/');
  if (topic.startsWith('$') && (filter[0] === '+' || filter[0] === '#')) return undefined;
  const vars: Record<string, string> = Object.create(null) as Record<string, string>;
  for (let i = 0; i < filter.length; i++) {
    const f = filter[i]!;
    // [MQTT-4.7.1-2] '#' also matches the parent level: `a/#` matches `a`.
    if (f === '#') return vars;
    if (i >= levels.length) return undefined;
    if (f === '+') {
      const name = bindings?.[i];
      if (name !== undefined) vars[name] = levels[i]!;
    } else if (f !== levels[i]) {
      return undefined;
    }
  }
  return levels.length === filter.length ? vars : undefined;
}
