// A fake ExpressionHost over a literal list of states: enough for the pure logic of the expression language.
// Topic filters are matched with the same function the engine will use; areas by the topic's floor/room levels.

import type { StateValue } from '../../../server/core/model.js';
import type { ExpressionHost, StateMatch } from '../../../rules/expressions/index.js';
import { topicMatches } from '../../../rules/topics.js';

export interface FakeState {
  topic: string;
  property?: string;
  value: StateValue;
  isOn?: boolean;
}

export function fakeHost(states: FakeState[], now = 1_700_000_000_000): ExpressionHost & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    matchStates(filter: string): StateMatch[] {
      calls.push(filter);
      const selected = filter.startsWith('area:')
        ? states.filter((s) => {
            const [floor, room] = filter.slice(5).split('/');
            const levels = s.topic.split('/');
            return levels[1] === floor && (room === undefined || levels[2] === room);
          })
        : states.filter((s) => topicMatches(filter, s.topic));
      return selected.map((s) => ({
        deviceId: s.topic.replaceAll('/', '-'),
        property: s.property ?? 'state',
        value: s.value,
        ...(s.isOn === undefined ? {} : { isOn: s.isOn }),
      }));
    },
    state(ref: string, property?: string): StateValue | undefined {
      return states.find((s) => (s.topic === ref || s.topic.replaceAll('/', '-') === ref) && (property === undefined || s.property === property))?.value;
    },
    now: () => now,
  };
}

/** The house of the examples: four lights (two on, in different spellings), temperatures, a button. */
export const HOUSE: FakeState[] = [
  { topic: 'ourhome/groundfloor/livingroom/light', value: 'ON' },
  { topic: 'ourhome/groundfloor/hall/light', value: 'off' },
  { topic: 'ourhome/firstfloor/kitchen/light', value: true },
  { topic: 'ourhome/firstfloor/bedroom/light', value: 0 },
  { topic: 'ourhome/firstfloor/kitchen/temperature', value: 27.5 },
  { topic: 'ourhome/groundfloor/livingroom/temperature', value: '21.5' },
  { topic: 'ourhome/firstfloor/bedroom/temperature', value: 'unavailable' },
  { topic: 'ourhome/firstfloor/kitchen/fan', value: 'OFF', isOn: false },
];
