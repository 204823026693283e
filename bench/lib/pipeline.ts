import mqttPacket from 'mqtt-packet';
import type { RawClient } from './raw-client.js';

// QoS 1 publishes pipelined on raw connections: each connection keeps at most `window` PUBACKs outstanding and
// writes the next packets as the acknowledgements come in (one write per chunk read). Packets are encoded before
// the clock starts, so the figure is the broker's, not the encoder's.

export interface PipelinedRun {
  sent: number;
  acked: number;
  elapsedMs: number;
  /** Every packet was acknowledged before the timeout. */
  complete: boolean;
}

/** QoS 1 PUBLISH packets, `messageId` 1, 2, ... (wrapping at 65,535), one per [topic, payload]. */
export function encodeQos1(messages: Array<[topic: string, payload: Buffer]>, retain: boolean): Buffer[] {
  return messages.map(([topic, payload], i) =>
    mqttPacket.generate({ cmd: 'publish', topic, payload, qos: 1, retain, dup: false, messageId: (i % 65_535) + 1 }),
  );
}

/** Sends `packets[k]` on `clients[k]`, each with at most `window` unacknowledged; resolves once all are acknowledged. */
export function publishPipelined(clients: RawClient[], packets: Buffer[][], window: number, timeoutMs = 30_000): Promise<PipelinedRun> {
  if (window > 65_535) throw new Error('window over 65,535: message ids would collide');
  return new Promise((resolve) => {
    const total = packets.reduce((s, p) => s + p.length, 0);
    const state = clients.map(() => ({ next: 0, acked: 0 }));
    let acked = 0;
    let finished = false;
    const started = performance.now();
    const detach: Array<() => void> = [];
    const finish = (complete: boolean): void => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      for (const d of detach) d();
      resolve({ sent: state.reduce((s, c) => s + c.next, 0), acked, elapsedMs: performance.now() - started, complete });
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    const refill = (k: number): void => {
      const c = state[k]!;
      const mine = packets[k]!;
      const until = Math.min(mine.length, c.acked + window);
      if (until <= c.next) return;
      const out = Buffer.concat(mine.slice(c.next, until));
      c.next = until;
      clients[k]!.socket.write(out);
    };
    clients.forEach((client, k) => {
      const c = state[k]!;
      const onAck = (): void => {
        c.acked++;
        acked++;
      };
      // RawClient counts PUBACKs in its own 'data' listener (added first); this one runs after it, once per chunk.
      const onData = (): void => {
        if (acked >= total) return finish(true);
        refill(k);
      };
      const previous = client.onPuback;
      client.onPuback = onAck;
      client.socket.on('data', onData);
      detach.push(() => {
        client.onPuback = previous;
        client.socket.off('data', onData);
      });
    });
    if (total === 0) return finish(true);
    clients.forEach((_, k) => refill(k));
  });
}
