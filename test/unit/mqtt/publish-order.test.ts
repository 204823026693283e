import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OrderedTask, PublishOrder, type PublishKind } from '../../../server/mqtt/publish-order.js';

/** A task that calls `onStart` when started and `onFinish` when finished. */
class Task extends OrderedTask {
  constructor(kind: PublishKind, private readonly onStart: (task: Task) => void, private readonly onFinish: () => void) {
    super(kind);
  }
  start(): void {
    this.onStart(this);
  }
  finish(): void {
    this.onFinish();
  }
}

/** Runs tasks that record when they start and hand back `route` to report them routed later. */
function harness() {
  const order = new PublishOrder();
  const started: string[] = [];
  const acked: string[] = [];
  const route = new Map<string, () => void>();
  const run = (name: string, kind: PublishKind) =>
    order.run('c', new Task(kind, (task) => {
      started.push(name);
      route.set(name, () => order.routed(task));
    }, () => acked.push(name)));
  return { order, started, acked, route, run };
}

test('QoS 1 publishes that store nothing start together; their acknowledgements keep the arrival order', () => {
  const h = harness();
  h.run('a', 'pipelined');
  h.run('b', 'pipelined');
  h.run('c', 'pipelined');
  assert.deepEqual(h.started, ['a', 'b', 'c']);
  h.route.get('b')!();
  assert.deepEqual(h.acked, [], 'b waits for a');
  h.route.get('a')!();
  assert.deepEqual(h.acked, ['a', 'b']);
  h.route.get('c')!();
  assert.deepEqual(h.acked, ['a', 'b', 'c']);
  assert.equal(h.order.idle('c'), true);
});

test('a QoS 0 message waits until every earlier publish of its client is routed; a stored one runs alone', () => {
  const h = harness();
  h.run('p1', 'pipelined');
  h.run('q0', 'free');
  h.run('p2', 'pipelined');
  assert.deepEqual(h.started, ['p1'], 'the QoS 0 message and everything after it wait');
  assert.equal(h.order.idle('c'), false);
  h.route.get('p1')!();
  assert.deepEqual(h.started, ['p1', 'q0']);
  h.route.get('q0')!();
  assert.deepEqual(h.started, ['p1', 'q0', 'p2']);
  h.run('s', 'serial');
  h.run('p3', 'pipelined');
  assert.deepEqual(h.started, ['p1', 'q0', 'p2'], 'the stored one waits for p2, p3 behind it');
  h.route.get('p2')!();
  assert.deepEqual(h.started, ['p1', 'q0', 'p2', 's']);
  h.route.get('s')!();
  assert.deepEqual(h.started, ['p1', 'q0', 'p2', 's', 'p3']);
  h.route.get('p3')!();
  assert.deepEqual(h.acked, ['p1', 'q0', 'p2', 's', 'p3']);
  assert.equal(h.order.idle('c'), true);
});

test('a task routed at once (synchronously) does not break the order', () => {
  const order = new PublishOrder();
  const acked: number[] = [];
  for (let i = 0; i < 5; i++) order.run('c', new Task(i % 2 ? 'free' : 'pipelined', (task) => order.routed(task), () => acked.push(i)));
  assert.deepEqual(acked, [0, 1, 2, 3, 4]);
  assert.equal(order.idle('c'), true);
});

test('retained QoS 1 publishes queued for no one start together (their writes share a commit); other kinds wait for them', () => {
  const h = harness();
  h.run('r1', 'retained');
  h.run('r2', 'retained');
  h.run('p', 'pipelined');
  h.run('r3', 'retained');
  assert.deepEqual(h.started, ['r1', 'r2'], 'a pipelined one does not join retained ones on their way, nor what follows it');
  h.route.get('r2')!();
  assert.deepEqual(h.acked, [], 'r2 is acknowledged after r1');
  h.route.get('r1')!();
  assert.deepEqual(h.acked, ['r1', 'r2']);
  assert.deepEqual(h.started, ['r1', 'r2', 'p']);
  h.route.get('p')!();
  assert.deepEqual(h.started, ['r1', 'r2', 'p', 'r3']);
  h.run('s', 'serial');
  assert.deepEqual(h.started, ['r1', 'r2', 'p', 'r3'], 'a message queued for an offline session runs alone');
  h.route.get('r3')!();
  assert.deepEqual(h.started, ['r1', 'r2', 'p', 'r3', 's']);
  h.route.get('s')!();
  assert.deepEqual(h.acked, ['r1', 'r2', 'p', 'r3', 's']);
  assert.equal(h.order.idle('c'), true);
});

test('QoS 1 publishes queued for a stored session start together, 16 of a client at most; other kinds wait for them', () => {
  const h = harness();
  for (let i = 0; i < 18; i++) h.run(`q${i}`, 'queued');
  h.run('p', 'pipelined');
  assert.deepEqual(h.started, Array.from({ length: 16 }, (_, i) => `q${i}`), 'the 17th waits for a place');
  h.route.get('q1')!();
  assert.deepEqual(h.acked, [], 'q1 is acknowledged after q0');
  h.route.get('q0')!();
  assert.deepEqual(h.acked, ['q0', 'q1']);
  assert.deepEqual(h.started.slice(16), ['q16', 'q17'], 'two places freed, two more started');
  for (let i = 2; i < 18; i++) h.route.get(`q${i}`)!();
  assert.deepEqual(h.started.at(-1), 'p', 'the pipelined one after the queued group');
  h.route.get('p')!();
  assert.equal(h.acked.length, 19);
  assert.equal(h.order.idle('c'), true);
});
