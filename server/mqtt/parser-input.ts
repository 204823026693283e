import type { Client } from 'aedes';

/**
 * mqtt-packet's parser keeps the bytes it has not parsed yet in a `bl` BufferListStream (parser.js `_resetState`): a
 * whole Duplex stream per connection — its readable and writable states, listener tables, arrays and a bound
 * callback, ~0.9 KB — of which the parser uses only the list's methods (append, consume, slice, toString, readUInt8 /
 * 16BE / 32BE, length), never the stream. Here each new client's parser gets bl's plain BufferList, the class those
 * methods come from (bl.js copies BufferList.prototype onto the stream's), which is a ~50-byte object. After a parse
 * error the parser makes itself a new BufferListStream; that connection is being closed.
 *
 * The class is taken from the stream the parser made (bl exports it as BufferListStream.BufferList), so rumah needs no
 * dependency of its own on bl; the contract check (aedes-internals.ts) verifies it is there.
 */
export interface ListLike {
  readonly length: number;
  append(buf: Buffer): unknown;
  consume(bytes: number): unknown;
  slice(start?: number, end?: number): Buffer;
  readUInt8(offset: number): number;
}

type Parser = { _list?: ListLike & { constructor?: { BufferList?: new () => ListLike } } };

/** The plain BufferList class behind the parser's list, when there is one to use. */
export function plainListOf(parser: Parser): (new () => ListLike) | undefined {
  const list = parser._list;
  const Plain = list?.constructor?.BufferList;
  if (typeof Plain !== 'function') return undefined;
  const probe = new Plain();
  const methods = ['append', 'consume', 'slice', 'toString', 'readUInt8', 'readUInt16BE', 'readUInt32BE'] as const;
  return methods.every((m) => typeof (probe as unknown as Record<string, unknown>)[m] === 'function') && probe.length === 0 ? Plain : undefined;
}

let Plain: (new () => ListLike) | undefined | null = null;

/** Gives a new client's parser a plain BufferList in place of its (still empty) BufferListStream. */
export function lightenParserInput(client: Client): void {
  const parser = (client as unknown as { _parser: Parser })._parser;
  if (Plain === null) Plain = plainListOf(parser);
  if (Plain === undefined || parser._list === undefined || parser._list.length !== 0) return;
  parser._list = new Plain() as Parser['_list'];
}
