// The hub's bus into the rules engine's feeds. Causes are completed on the way: a message a rule published carries
// that rule's cause, and so do the state changes and events the registry derived from it while it was dispatched
// (cause-tracker.ts), and a device's change that answers a rule's command carries that command's cause. A device is
// looked up by id and by topic, the two ways a rule may name it.

import type { EventBus } from '../../server/core/event-bus.js';
import type { Cause } from '../../server/core/model.js';
import type { CauseTracker } from './cause-tracker.js';
import type { DeviceIndex } from './devices.js';
import type { Feeds } from './feeds.js';

/** Subscribes the feeds to the bus; returns the functions that unsubscribe. */
export function wireBus(bus: EventBus, tracker: CauseTracker, feeds: Feeds, devices: DeviceIndex): Array<() => void> {
  /** The keys a device is looked up by (id, topic), and its topic for the subscribers by topic filter. */
  const route = (deviceId: string): [string[], string | undefined] => {
    const topic = devices.get(deviceId)?.topic;
    return [topic && topic !== deviceId ? [deviceId, topic] : [deviceId], topic];
  };
  const withParent = (cause: Cause): Cause => {
    const parent = tracker.dispatching;
    return parent && !cause.parent ? { ...cause, parent } : cause;
  };
  return [
    bus.on('message', 'rules', (msg) => {
      try {
        if (feeds.mqttSubscribers > 0) feeds.dispatchMessage(msg, tracker.causeOf(msg) ?? { kind: 'device', id: msg.username || msg.clientId || 'hub' });
      } finally {
        // This listener comes after the registry's: the message's dispatch is over.
        tracker.leave(msg);
      }
    }),
    bus.on('commandSent', 'rules', (c) => {
      if (c.cause.kind === 'rule') tracker.commanded(c.deviceId, c.property, c.cause);
    }),
    bus.on('stateChanged', 'rules', (change) => {
      if (!feeds.stateSubscribed) return;
      const answered = change.cause.parent || tracker.dispatching ? undefined : tracker.answerTo(change.deviceId, change.property);
      feeds.dispatchState(change, answered ? { ...change.cause, parent: answered } : withParent(change.cause), ...route(change.deviceId));
    }),
    bus.on('deviceEvent', 'rules', (e) => feeds.dispatchEvent({ ...e, cause: withParent(e.cause) }, ...route(e.deviceId))),
    bus.on('availabilityChanged', 'rules', (e) => feeds.dispatchAvailability(e, ...route(e.deviceId))),
    ...(['deviceAdded', 'deviceRemoved', 'deviceUpdated'] as const).map((event) => bus.on(event, 'rules', () => devices.invalidate())),
  ];
}
