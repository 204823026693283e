// The words for binary values live beside the hub's model (server/core/binary-words.ts): the logbook's sentences on
// the hub and the dashboard's tiles, tables and charts say the same words from one list.
export * from '../../../server/core/binary-words.js';
