import { test } from 'node:test';
import assert from 'node:assert/strict';
import { line } from '../../../server/export/influx-line.js';

test('line protocol: tags and measurement escaped, empty tags left out, ms written as ns', () => {
  assert.equal(
    line('rumah', { id: 'a-b', name: 'Living room, lamp=1', floor: 'ground floor', room: '', property: 'light', unit: undefined }, true, 1_700_000_000_123),
    'rumah,id=a-b,name=Living\\ room\\,\\ lamp\\=1,floor=ground\\ floor,property=light value=1 1700000000123000000',
  );
  assert.equal(line('my house', { id: 'x', property: 'p' }, 21.5, 1), 'my\\ house,id=x,property=p value=21.5 1000000');
});

test('line protocol: numbers and booleans go to the float field value, text and JSON to the string field text', () => {
  assert.equal(line('m', { id: 'x', property: 'p' }, false, 2), 'm,id=x,property=p value=0 2000000');
  assert.equal(line('m', { id: 'x', property: 'p' }, 'say "hi" \\o/', 2), 'm,id=x,property=p text="say \\"hi\\" \\\\o/" 2000000');
  assert.equal(line('m', { id: 'x', property: 'p' }, { a: [1] }, 2), 'm,id=x,property=p text="{\\"a\\":[1]}" 2000000');
  // Nothing to write: a null, a non-finite number.
  assert.equal(line('m', { id: 'x', property: 'p' }, null, 2), undefined);
  assert.equal(line('m', { id: 'x', property: 'p' }, Number.NaN, 2), undefined);
});

test('line protocol: a line break in a tag cannot end the line', () => {
  const l = line('m', { id: 'x', name: 'two\nlines', property: 'p' }, 1, 3)!;
  assert.equal(l.split('\n').length, 1);
  assert.match(l, /name=two\\ lines/);
});
