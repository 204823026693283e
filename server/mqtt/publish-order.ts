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
 *   retained   QoS 1, retained, queued for no offline session: its route is the same steps again (the retained
 *              write, then nothing to queue, then the emit), so consecutive ones start together too and their
 *              retained writes share one transaction, each still acknowledged only once committed. One at a time,
 *              a publisher storing 10,000 retained messages waited for 10,000 commits (0.09× of bare aedes).
 *   serial     any other QoS 1 that is stored (queued for an offline session): starts when nothing of this client
 *              is on its way.
 *
 * Each task calls `routed(then)` once routed; the `then`s run in arrival order (PUBACKs go out in the order the
 * PUBLISHes came, [MQTT-4.6.0-2]).
 */
export type PublishKind = 'free' | 'pipelined' | 'retained' | 'serial';
/** Kinds whose routes take the same steps, so several of one kind may be on their way at once. */
const groupable = new Set<PublishKind>(['pipelined', 'retained']);
type Task = (routed: (then: () => void) => void) => void;

interface ClientQueue {
  /** Started, their `then` not yet run, oldest first; `then` is set once routed. */
  running: Array<{ then?: () => void }>;
  /** The kind every running task shares, when it is a groupable one; undefined when nothing runs. */
  group: PublishKind | undefined;
  waiting: Array<{ kind: PublishKind; task: Task }>;
}

/** Empty queues kept for reuse at most (see `spare`). */
const SPARE_QUEUES = 16;

export class PublishOrder {
  private readonly clients = new Map<string, ClientQueue>();
  /**
   * Queues that emptied, reused for the next client that publishes: at a few thousand QoS 1 messages a second each
   * publish found its client idle, so a queue and its arrays' backing stores were made and dropped per message
   * (~1 KB of the broker path's allocation per QoS 1 message, bench/tails.ts).
   */
  private readonly spare: ClientQueue[] = [];

  /** Nothing of this client is on its way or waiting: a QoS 0 message may go at once. */
  idle(clientId: string): boolean {
    return !this.clients.has(clientId);
  }

  run(clientId: string, kind: PublishKind, task: Task): void {
    let q = this.clients.get(clientId);
    if (!q) this.clients.set(clientId, (q = this.spare.pop() ?? { running: [], group: undefined, waiting: [] }));
    if (q.waiting.length === 0 && this.mayStart(q, kind)) this.start(clientId, q, kind, task);
    else q.waiting.push({ kind, task });
  }

  forget(clientId: string): void {
    this.clients.delete(clientId);
  }

  private mayStart(q: ClientQueue, kind: PublishKind): boolean {
    return q.running.length === 0 || (groupable.has(kind) && q.group === kind);
  }

  private start(clientId: string, q: ClientQueue, kind: PublishKind, task: Task): void {
    const slot: { then?: () => void } = {};
    q.running.push(slot);
    q.group = kind;
    task((then) => {
      slot.then = then;
      this.settle(clientId, q);
    });
  }

  private settle(clientId: string, q: ClientQueue): void {
    while (q.running.length > 0 && q.running[0]!.then) q.running.shift()!.then!();
    if (q.running.length === 0) q.group = undefined;
    while (q.waiting.length > 0 && this.mayStart(q, q.waiting[0]!.kind)) {
      const next = q.waiting.shift()!;
      this.start(clientId, q, next.kind, next.task);
    }
    if (q.running.length === 0 && q.waiting.length === 0 && this.clients.get(clientId) === q) {
      this.clients.delete(clientId);
      // Only an empty queue still in the map: one forget() dropped may have tasks on their way.
      if (this.spare.length < SPARE_QUEUES) this.spare.push(q);
    }
  }
}
