import { createRequire } from 'node:module';

/** The backup schedule rumah.yaml gets when it names none (schema.ts defaults): 03:30 every day. */
export const DEFAULT_BACKUP_SCHEDULE = '30 3 * * *';

type NodeCron = { validate(expression: string): boolean };
let nodeCron: NodeCron | undefined;

/**
 * Whether `schedule` is a cron expression node-cron runs (5 fields, or 6 with seconds first). node-cron is loaded only
 * for a schedule other than the default: importing it costs ~10–17 ms, and the config is read before the MQTT
 * listeners open, where a device waiting since a power cut waits for it too (issue 19 item 6). The backup service
 * and the rules' cron triggers load it after the listeners. A test checks the default with node-cron itself.
 */
export function validBackupSchedule(schedule: string): boolean {
  if (schedule === DEFAULT_BACKUP_SCHEDULE) return true;
  nodeCron ??= createRequire(import.meta.url)('node-cron') as NodeCron;
  return nodeCron.validate(schedule);
}
