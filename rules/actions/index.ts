// The action kinds: one file each, one line here. compileActions builds a rule's action tree once.

import { compileCondition, compileConditions } from '../conditions/index.js';
import type { Action, ActionType } from '../types.js';
import { chooseAction } from './choose.js';
import { delayAction } from './delay.js';
import { ifAction } from './if.js';
import { logAction } from './log.js';
import { notifyAction } from './notify.js';
import { publishAction } from './publish.js';
import { runAction } from './run.js';
import { Sequence } from './sequence.js';
import { setAction } from './set.js';
import type { ActionKind, Compiler } from './types.js';
import { waitAction } from './wait.js';

export const ACTION_KINDS: { [K in ActionType]: ActionKind<Extract<Action, { action: K }>> } = {
  publish: publishAction,
  set: setAction,
  delay: delayAction,
  wait: waitAction,
  choose: chooseAction,
  if: ifAction,
  notify: notifyAction,
  run: runAction,
  log: logAction,
};

const compiler: Compiler = {
  sequence: (list, path) => compileActions(list, path),
  conditions: compileConditions,
  condition: compileCondition,
};

export function compileActions(list: readonly Action[], path = 'actions'): Sequence {
  return new Sequence(path, list.map((a, i) => (ACTION_KINDS[a.action] as ActionKind).compile(a, `${path}[${i}]`, compiler)));
}

export { Sequence } from './sequence.js';
export * from './types.js';
