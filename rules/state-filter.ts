// How aggregates (`count`, `avg`, `any`...) and keep blocks select states: an MQTT topic filter over device
// topics (`ourhome/+/+/light`) or an area (`area:firstfloor/kitchen`, `area:firstfloor`), the floor/room that
// devices get from the topic hierarchy or from a user.

import { checkTopicFilter, type TopicProblem } from './topics.js';

export type StateFilter = { kind: 'topic'; filter: string } | { kind: 'area'; floor: string; room?: string };

const AREA_PREFIX = 'area:';

export function parseStateFilter(text: string): { ok: true; filter: StateFilter } | ({ ok: false } & TopicProblem) {
  if (text.startsWith(AREA_PREFIX)) {
    const parts = text.slice(AREA_PREFIX.length).split('/');
    const bad = parts.findIndex((p) => p.trim() === '' || /[+#]/.test(p));
    if (parts.length > 2 || bad >= 0) {
      return {
        ok: false,
        message: `invalid area ${JSON.stringify(text)}: write area:FLOOR or area:FLOOR/ROOM`,
        offset: AREA_PREFIX.length,
      };
    }
    const [floor, room] = parts as [string, string | undefined];
    return { ok: true, filter: room === undefined ? { kind: 'area', floor } : { kind: 'area', floor, room } };
  }
  const problem = checkTopicFilter(text);
  if (problem) return { ok: false, message: `invalid topic filter ${JSON.stringify(text)}: ${problem.message}`, offset: problem.offset };
  return { ok: true, filter: { kind: 'topic', filter: text } };
}
