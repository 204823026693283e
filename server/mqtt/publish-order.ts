/**
 * One client's publishes, handed on in the order they arrived. Devices report state in order, and aedes routes a
 * QoS 0 message at once but a QoS 1 one only after its store steps: without this, a later message overtook an
 * earlier one (the registry then kept the older value).
 *
 *   free       QoS 0: goes at once unless something of this client is still on its way.
 *   pipelined  QoS 1 that stores nothing (not retained, no offline session queues it): its route takes the same
 *              steps as the one before, so it may start while earlier pipelined ones are still on their way and
 *              stays behind them. Waiting for each one's PUBACK first made a publisher's messages take an event-loop
 *              turn each (aedes delivers QoS 1 on setImmediate): QoS 1 fan-in ran at ~0.45× of bare aedes.
 *   serial     QoS 1 that is stored: starts when nothing of this client is on its way.
 *
 * Each task calls `routed(then)` once routed; the `then`s run in arrival order (PUBACKs go out in the order the
 * PUBLISHes came, [MQTT-4.6.0-2]).
 */
export type PublishKind = 'free' | 'pipelined' | 'serial';
type Task = (routed: (then: () => void) => void) => void;

interface ClientQueue {
  /** Started, their `then` not yet run, oldest first; `then` is set once routed. */
  running: Array<{ then?: () => void }>;
  /** Every running task is pipelined. */
  pipelined: boolean;
  waiting: Array<{ kind: PublishKind; task: Task }>;
}

export class PublishOrder {
  private readonly clients = new Map<string, ClientQueue>();

  /** Nothing of this client is on its way or waiting: a QoS 0 message may go at once. */
  idle(clientId: string): boolean {
    return !this.clients.has(clientId);
  }

  run(clientId: string, kind: PublishKind, task: Task): void {
    let q = this.clients.get(clientId);
    if (!q) this.clients.set(clientId, (q = { running: [], pipelined: true, waiting: [] }));
    if (q.waiting.length === 0 && this.mayStart(q, kind)) this.start(clientId, q, kind, task);
    else q.waiting.push({ kind, task });
  }

  forget(clientId: string): void {
    this.clients.delete(clientId);
  }

  private mayStart(q: ClientQueue, kind: PublishKind): boolean {
    return q.running.length === 0 || (kind === 'pipelined' && q.pipelined);
  }

  private start(clientId: string, q: ClientQueue, kind: PublishKind, task: Task): void {
    const slot: { then?: () => void } = {};
    q.running.push(slot);
    if (kind !== 'pipelined') q.pipelined = false;
    task((then) => {
      slot.then = then;
      this.settle(clientId, q);
    });
  }

  private settle(clientId: string, q: ClientQueue): void {
    while (q.running.length > 0 && q.running[0]!.then) q.running.shift()!.then!();
    if (q.running.length === 0) q.pipelined = true;
    while (q.waiting.length > 0 && this.mayStart(q, q.waiting[0]!.kind)) {
      const next = q.waiting.shift()!;
      this.start(clientId, q, next.kind, next.task);
    }
    if (q.running.length === 0 && q.waiting.length === 0 && this.clients.get(clientId) === q) this.clients.delete(clientId);
  }
}
