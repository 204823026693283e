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
 *   queued     QoS 1, not retained, queued for a stored session: consecutive ones start together, at most
 *              MAX_QUEUED_TOGETHER of a client, and their queue writes share a transaction, each acknowledged once
 *              committed; each reaches aedes's router after the one before it (emit-order.ts).
 *   serial     any other QoS 1 that is stored (retained and queued for a session): starts when nothing of this
 *              client is on its way.
 *
 * A task is an object (OrderedTask), not closures: the order starts it, the task reports itself routed
 * (`PublishOrder.routed`), and the order finishes routed tasks in arrival order (PUBACKs go out in the order the
 * PUBLISHes came, [MQTT-4.6.0-2]). At a few thousand QoS 1 messages a second, the closures of the earlier shape
 * (a task, a `routed` callback, a `then`, a slot) were ~0.9 KB of the broker path's allocation per message
 * (bench/tails-profile.ts).
 */
export type PublishKind = 'free' | 'pipelined' | 'retained' | 'queued' | 'serial';

/** A publish waiting for its turn or on its way. */
export abstract class OrderedTask {
  /** The queue of its client, set when it is run. */
  queue: ClientQueue | undefined = undefined;
  /** Routed: finished as soon as everything of its client before it is. */
  routed = false;

  constructor(readonly kind: PublishKind) {}

  /** Starts the route; PublishOrder.routed(this) once routed (at once, or later). */
  abstract start(): void;
  /** Runs once routed, in arrival order (the PUBACK, or aedes's callback). */
  abstract finish(): void;
}

/**
 * Kinds of which several of a client may be on their way at once: their routes take the same steps, or (`queued`)
 * they are put in order at aedes's router (emit-order.ts).
 */
const groupable = (kind: PublishKind): boolean => kind === 'pipelined' || kind === 'retained' || kind === 'queued';
/**
 * Queued publishes of one client on their way at once, at most. Unbounded, a fast publisher (500 QoS 1 messages a
 * second on one connection) outran an online persistent subscriber's deliveries: its session queue passed
 * mqtt.maxQueuedPerSession and the subscriber was disconnected (docs/benchmarks.md, "Tails, eleventh session").
 */
const MAX_QUEUED_TOGETHER = 16;

/**
 * A client's tasks. Kept while the client is connected (dropped by forget() at its disconnect): at a few thousand
 * QoS 1 messages a second nearly every publish found its client idle, and a queue made or taken per message was a
 * Map insert and delete each time (the Map's table rebuilt every few messages).
 */
export interface ClientQueue {
  /** Started, not yet finished, oldest first. */
  readonly running: OrderedTask[];
  /** The kind every running task shares, when it is a groupable one; undefined when nothing runs. */
  group: PublishKind | undefined;
  readonly waiting: OrderedTask[];
}

export class PublishOrder {
  private readonly clients = new Map<string, ClientQueue>();

  /** Nothing of this client is on its way or waiting: a QoS 0 message may go at once. */
  idle(clientId: string): boolean {
    const q = this.clients.get(clientId);
    return q === undefined || (q.running.length === 0 && q.waiting.length === 0);
  }

  run(clientId: string, task: OrderedTask): void {
    let q = this.clients.get(clientId);
    if (!q) this.clients.set(clientId, (q = { running: [], group: undefined, waiting: [] }));
    task.queue = q;
    if (q.waiting.length === 0 && mayStart(q, task.kind)) start(q, task);
    else q.waiting.push(task);
  }

  /** `task` is routed: it and every routed task behind it finish once everything before them has. */
  routed(task: OrderedTask): void {
    task.routed = true;
    const q = task.queue!;
    while (q.running.length > 0 && q.running[0]!.routed) q.running.shift()!.finish();
    if (q.running.length === 0) q.group = undefined;
    while (q.waiting.length > 0 && mayStart(q, q.waiting[0]!.kind)) start(q, q.waiting.shift()!);
  }

  /** The client left. Tasks still on their way keep their queue (out of the map) and finish in order. */
  forget(clientId: string): void {
    this.clients.delete(clientId);
  }
}

function mayStart(q: ClientQueue, kind: PublishKind): boolean {
  return q.running.length === 0 || (groupable(kind) && q.group === kind && (kind !== 'queued' || q.running.length < MAX_QUEUED_TOGETHER));
}

function start(q: ClientQueue, task: OrderedTask): void {
  q.running.push(task);
  q.group = task.kind;
  task.start();
}
