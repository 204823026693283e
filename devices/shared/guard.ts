import type { MqttMessage } from '../../server/core/events.js';
import type { Logger } from '../../server/core/logger.js';
import type { ConventionUpdate } from '../convention.js';
import { rejected } from './update.js';

/**
 * handle() must never throw (a parser bug would otherwise cost the message and log nothing useful): any
 * exception becomes a rejection naming the convention, and the error is logged with its stack for us.
 */
export function guardHandle(
  convention: string,
  log: Logger,
  handle: (msg: MqttMessage) => ConventionUpdate | undefined,
): (msg: MqttMessage) => ConventionUpdate | undefined {
  return (msg) => {
    try {
      return handle(msg);
    } catch (err) {
      log.error({ err, convention, topic: msg.topic }, 'convention parser failed');
      return rejected(`${convention}: internal error while parsing ${msg.topic}: ${(err as Error).message}`);
    }
  };
}
