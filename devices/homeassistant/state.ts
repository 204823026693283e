import type { MqttMessage } from '../../server/core/events.js';
import { readText } from '../shared/payload.js';
import type { UpdateBuilder } from '../shared/update.js';
import { Payload, type Reading } from './field.js';
import type { EntityStore } from './store.js';
import { TemplateError } from './template/index.js';

// Messages on topics that discovery configs named: state topics (read through each field's template and
// converter) and availability topics. One topic may feed several entities (a device-based config whose
// components share one JSON state topic), so every entity listening on it reads the same parsed payload.

export function handleState(store: EntityStore, msg: MqttMessage, out: UpdateBuilder): void {
  const entities = store.onTopic(msg.topic);
  if (entities.length === 0) return;
  const text = readText(msg);
  if (!text.ok) {
    out.reject(`${msg.topic}: ${text.reason}`, entities[0]!.deviceId);
    return;
  }
  // An empty payload clears a retained message; it is not a reading.
  if (text.value === '') return;
  const payload = new Payload(text.value);
  const availabilityOf = new Set<string>();
  for (const entity of entities) {
    if (entity.availability?.receive(msg.topic, payload)) availabilityOf.add(entity.deviceId);
    for (const field of entity.fields) {
      if (field.state?.topic !== msg.topic) continue;
      let reading: Reading;
      try {
        reading = field.state.read(payload);
      } catch (err) {
        if (!(err instanceof TemplateError)) throw err;
        reading = { problem: `template failed: ${err.message}` };
      }
      if ('value' in reading) {
        if (field.capability.kind === 'event') out.event(entity.deviceId, field.property, reading.value);
        else out.state(entity.deviceId, field.property, reading.value);
      } else if ('problem' in reading) {
        out.reject(`${msg.topic} → ${field.property} (${entity.uniqueId ?? entity.key}): ${reading.problem}`, entity.deviceId);
      }
    }
  }
  for (const deviceId of availabilityOf) {
    const avail = store.availability(deviceId);
    if (avail) out.avail(deviceId, avail);
  }
}
