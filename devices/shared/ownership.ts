import type { MqttMessage } from '../../server/core/events.js';
import type { ConventionContext } from '../convention.js';
import type { UpdateBuilder } from './update.js';

/**
 * The account that owns `deviceId` when the publisher of `msg` is not allowed to speak for that device, else
 * undefined. A device belongs to the account that created it; messages the hub made itself (no publisher), replayed
 * retained messages (their publisher was checked when they were sent) and admins' messages speak for any device.
 * Conventions ask this before they bind a new topic, prefix or identifier to a device that already exists, so one
 * account cannot take over another's device by announcing it (README "What a device may do").
 */
export function foreignOwner(ctx: Pick<ConventionContext, 'getDevice'>, deviceId: string, msg: MqttMessage): string | undefined {
  if (!msg.username || msg.admin) return undefined;
  const owner = ctx.getDevice(deviceId)?.owner;
  return owner !== undefined && owner !== msg.username ? owner : undefined;
}

/**
 * Refuses a message that would bind another account's device (reason in that device's log). A refused retained
 * message is cleared, through the hub's publish path: kept, it would be replayed at the next start, when its
 * publisher is no longer known, and take the device over then.
 */
export function refuseForeign(out: UpdateBuilder, msg: MqttMessage, reason: string, deviceId: string): void {
  out.reject(reason, deviceId, true);
  if (msg.retain && !msg.replayed) out.send({ topic: msg.topic, payload: '', qos: 1, retain: true });
}

/** The first of `topics` another account owns, when the publisher of `msg` may not name it (see foreignOwner). */
export function foreignTopic(ctx: Pick<ConventionContext, 'topicOwner'>, topics: Iterable<string>, msg: MqttMessage): { topic: string; owner: string } | undefined {
  if (!msg.username || msg.admin || !ctx.topicOwner) return undefined;
  for (const topic of topics) {
    const owner = ctx.topicOwner(topic);
    if (owner !== undefined && owner !== msg.username) return { topic, owner };
  }
  return undefined;
}
