import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_JSON_DEPTH, parseDeviceJson } from '../../../server/core/device-json.js';
import { encodeHistoryValue } from '../../../server/store/codec.js';

test('parseDeviceJson: nesting up to MAX_JSON_DEPTH parses, one more is a SyntaxError; brackets in strings do not count', () => {
  const nest = (n: number) => '['.repeat(n) + ']'.repeat(n);
  assert.equal(JSON.stringify(parseDeviceJson(nest(MAX_JSON_DEPTH))), nest(MAX_JSON_DEPTH));
  assert.throws(() => parseDeviceJson(nest(MAX_JSON_DEPTH + 1)), (err: Error) => err instanceof SyntaxError && /nested deeper than 64 levels/.test(err.message));
  assert.throws(() => parseDeviceJson(`{"a":{"b":${nest(MAX_JSON_DEPTH - 1)}}}`), SyntaxError);
  const inString = `{"text":"${'['.repeat(500)}\\"${'{'.repeat(500)}"}`;
  assert.deepEqual(parseDeviceJson(inString), { text: `${'['.repeat(500)}"${'{'.repeat(500)}` });
  assert.deepEqual(parseDeviceJson('{"state":"ON","brightness":180}'), { state: 'ON', brightness: 180 });
  assert.throws(() => parseDeviceJson('{"text": "half'), SyntaxError, 'malformed JSON is still refused by JSON.parse');
});

test('encodeHistoryValue: a value JSON cannot write becomes a note, not an exception', () => {
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  assert.match(JSON.parse(encodeHistoryValue(cyclic as never) as string) as string, /^\(not stored: Converting circular structure/);
  assert.equal(encodeHistoryValue({ a: [1, 'x'] }), '{"a":[1,"x"]}');
});
