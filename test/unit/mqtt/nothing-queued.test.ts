import assert from 'node:assert/strict';
import { test } from 'node:test';
// As aedes's lib/handlers/connect.js imports it: an ES module binding of the `stream` module.
import { pipeline, Readable, Transform, Writable } from 'stream';
import stream from 'node:stream';
import { promisify } from 'node:util';
import { nothingQueued } from '../../../server/mqtt/persistence/nothing-queued.js';

/** aedes's `through`: the Transform its emptyQueue pipes a session's queue into. */
function through(): Transform {
  return new Transform({ objectMode: true, transform: (chunk, _enc, next) => next(null, chunk) });
}

test('a queue known to be empty: the pipeline aedes reads it through calls back at once, leaving both streams untouched', async () => {
  const queue = nothingQueued();
  const into = through();
  const err = await new Promise((resolve) => pipeline(queue, into, resolve));
  assert.equal(err, undefined);
  // Node's pipeline would have piped, ended the Transform and listened on both (an AbortController and a
  // DOMException per CONNECT).
  assert.equal(into.writableEnded, false);
  assert.equal(queue.listenerCount('end') + queue.listenerCount('error') + into.listenerCount('error'), 0);
});

test('every other pipeline is Node\'s: data flows, errors are reported, the promise form works', async () => {
  const got: number[] = [];
  const sink = (): Writable => new Writable({ objectMode: true, write: (n: number, _enc, done) => (got.push(n), done()) });
  await new Promise<void>((resolve, reject) => pipeline(Readable.from([1, 2]), through(), sink(), (e) => (e ? reject(e) : resolve())));
  assert.deepEqual(got, [1, 2]);
  const failing = new Readable({ objectMode: true, read() { this.destroy(new Error('read failed')); } });
  const err = await new Promise<Error | null | undefined>((resolve) => pipeline(failing, through(), sink(), resolve));
  assert.match(String(err), /read failed/);
  // An empty queue that is not known to be empty (a plain stream) goes through Node's pipeline too.
  const into = through();
  await new Promise((resolve) => pipeline(Readable.from([]), into, resolve));
  assert.equal(into.writableEnded, true);
  await promisify(stream.pipeline)(Readable.from([3]), sink());
  assert.deepEqual(got, [1, 2, 3]);
  assert.equal(stream.pipeline, pipeline, 'the module and its ES module binding agree');
});
