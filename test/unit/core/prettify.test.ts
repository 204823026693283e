import { test } from 'node:test';
import assert from 'node:assert/strict';
import { areaKey, prettify } from '../../../server/core/prettify.js';

test('glued topic words are split only where the word list makes it certain', () => {
  assert.equal(prettify('livingroom'), 'Living room');
  assert.equal(prettify('diningroom'), 'Dining room');
  assert.equal(prettify('groundfloor'), 'Ground floor');
  assert.equal(prettify('firstfloor'), 'First floor');
  assert.equal(prettify('Firstfloor'), 'First floor');
  assert.equal(prettify('guestroom'), 'Guest room');
  assert.equal(prettify('masterbedroom'), 'Master bedroom');
  // Whole words stay whole, even when made of listed words.
  assert.equal(prettify('bedroom'), 'Bedroom');
  assert.equal(prettify('bathroom'), 'Bathroom');
  assert.equal(prettify('kitchen'), 'Kitchen');
  assert.equal(prettify('hallway'), 'Hallway');
  assert.equal(prettify('garage'), 'Garage');
  assert.equal(prettify('office'), 'Office');
});

test('anything not certain stays as it is, with its first letter capitalised', () => {
  assert.equal(prettify('xyzroom'), 'Xyzroom');
  assert.equal(prettify('kidsroomx'), 'Kidsroomx');
  assert.equal(prettify('room2'), 'Room2');
  assert.equal(prettify('TV'), 'TV');
  assert.equal(prettify('livingRoom'), 'LivingRoom');
  assert.equal(prettify('0x00158d0001a2b3c4'), '0x00158d0001a2b3c4');
  assert.equal(prettify('Living room'), 'Living room');
  assert.equal(prettify(''), '');
});

test('underscores and dashes become spaces; each word is looked at on its own', () => {
  assert.equal(prettify('living_room'), 'Living room');
  assert.equal(prettify('kitchen-light'), 'Kitchen light');
  assert.equal(prettify('livingroom ceilinglight'), 'Living room ceiling light');
  assert.equal(prettify('__hall__ -- lamp'), 'Hall lamp');
});

test('areaKey: case, spaces, underscores and dashes do not count', () => {
  assert.equal(areaKey('First floor'), areaKey('Firstfloor'));
  assert.equal(areaKey('first_floor'), areaKey('FIRST-FLOOR'));
  assert.notEqual(areaKey('First floor'), areaKey('Ground floor'));
});
