// trigger: start — the hub started. A rule loaded later (hot reload, created from the dashboard) does not fire:
// "started" happened once.

import type { StartTrigger } from '../types.js';
import { triggerVar, type TriggerKind } from './types.js';

export const startTrigger: TriggerKind<StartTrigger> = {
  attach(ctx, _config, fire) {
    let attached = true;
    ctx.atHubStart(() => {
      if (attached) fire({ vars: { trigger: triggerVar(ctx, 'start', {}) }, cause: { kind: 'schedule', id: 'start' }, description: 'the hub started' });
    });
    return () => {
      attached = false;
    };
  },
};
