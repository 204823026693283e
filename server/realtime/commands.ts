import * as z from 'zod';
import type { DevicesApi } from '../api/devices.js';
import { ErrorCodes, isRumahError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { StateValue } from '../core/model.js';
import { eventRoles, type Ack, type ClientToServer } from './protocol.js';
import type { LiveSocket } from './server.js';

const commandRequest = z.object({
  deviceId: z.string().min(1).max(256),
  property: z.string().min(1).max(256),
  value: z.unknown(),
});

/**
 * `command` from a dashboard: validated, role-checked, then DevicesApi.command with the user as the cause, so
 * a command from the browser takes the same checks as one from REST or a rule. Every request is acknowledged.
 */
export function commandHandler(socket: LiveSocket, devices: DevicesApi, log: Logger): ClientToServer['command'] {
  return (request, ack) => {
    // A client that asks for no acknowledgement breaks the protocol; a bad payload is not worth a crash.
    if (typeof ack !== 'function') return;
    const reply = (answer: Ack): void => ack(answer);
    const principal = socket.data.principal;
    if (eventRoles.command === 'admin' && principal.role !== 'admin') {
      return reply({ ok: false, error: ErrorCodes.FORBIDDEN, message: 'this needs an admin' });
    }
    if (principal.scope === 'read') return reply({ ok: false, error: ErrorCodes.FORBIDDEN, message: 'this API token may only read (scope read)' });
    const parsed = commandRequest.safeParse(request);
    if (!parsed.success) {
      const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(request)'}: ${i.message}`).join('; ');
      return reply({ ok: false, error: ErrorCodes.BAD_REQUEST, message: `invalid command: ${problems}` });
    }
    const { deviceId, property, value } = parsed.data;
    devices.command(deviceId, property, value as StateValue, { kind: 'user', id: principal.username }).then(
      () => reply({ ok: true }),
      (err: unknown) => {
        if (isRumahError(err)) return reply({ ok: false, error: err.code, message: err.message });
        log.error({ err, deviceId, property }, 'command failed');
        reply({ ok: false, error: 'RUMAH_ERR_INTERNAL', message: 'the command failed; see the hub log' });
      },
    );
  };
}
