import type { Client } from 'aedes';
import { clientInternals } from './aedes-internals.js';

/**
 * A connection's buffered bytes are parsed a piece at a time, and a connection with more waiting takes its next piece
 * in a later turn of the event loop, after the other sockets (issue 19 item 5: a well-behaved client keeps its p99
 * while others flood).
 *
 * aedes reads a client with `conn.read()` (lib/client.js nextBatch): everything the socket holds, up to ~64 KB, parsed
 * at once. A flooding connection's packets were then all parsed and handed to their handlers in one go — ~200
 * publishes of a 50-property JSON, each held by its account's budget (account-budget.ts) — and the 20 connections of
 * a flood did that one after another in one turn, while another device's PUBACK waited behind them and behind the
 * scavenge of everything they held. Now `read()` without a size returns at most `pieceBytes`: what is not parsed
 * stays in the socket's buffer as bytes, and past the socket's high-water mark TCP pushes back on the sender.
 *
 * The next piece is read when the last packet of this one has been handled (aedes's own nextBatch, through its
 * packets' callbacks). Two cases that would leave bytes unread are taken here:
 * - handlers that finish synchronously call nextBatch while the parser is still in its loop; aedes's own read then
 *   found the buffer empty, and so must this one (mqtt-packet's parser is not re-entrant): `read()` returns nothing
 *   for a connection being parsed;
 * - a piece that completed no packet (part of a large one), or whose packets all finished inside the parse, starts no
 *   callback: the next piece is read in the next turn (`setImmediate`), if nothing else read it meanwhile.
 *
 * Shared functions (`this` the socket or the parser), as for parser-hooks.ts: an idle connection costs two own
 * properties, no closure. Tests: test/flows/read-pieces.test.ts; the read from inside a parse, flood.test.ts ("more
 * state changes than SQLite takes" closes its publisher, the parser fed twice, without the check).
 */
export const pieceBytes = 16 * 1024;

type Conn = { readableLength?: unknown; read(size?: number | null): unknown };
type Parser = { client?: Client; parse(buf: Buffer): unknown };

/** Sockets whose parser is running now (one, or a few when a handler resumes another client). */
const parsing = new Set<object>();

function readPiece(this: Conn, size?: number | null): unknown {
  const own = Object.getPrototypeOf(this) as Conn;
  if (size === undefined || size === null) {
    if (parsing.has(this)) return null;
    if ((this.readableLength as number) > pieceBytes) return own.read.call(this, pieceBytes);
  }
  return own.read.call(this, size);
}

function parsePiece(this: Parser, buf: Buffer): unknown {
  const parse = (Object.getPrototypeOf(this) as Parser).parse;
  const client = this.client;
  if (client === undefined) return parse.call(this, buf);
  const c = clientInternals(client);
  parsing.add(c.conn);
  let result: unknown;
  try {
    result = parse.call(this, buf);
  } finally {
    parsing.delete(c.conn);
  }
  if (c.conn.readableLength > 0 && c._parsingBatch === 0) setImmediate(readOn, client);
  return result;
}

/** The next piece, unless the client closed, waits (paused: its resume reads), or something else read meanwhile. */
function readOn(client: Client): void {
  const c = clientInternals(client);
  if (c.closed || c._paused || c._parsingBatch !== 0 || c.conn.readableLength === 0) return;
  c._nextBatch();
}

/** Reads and parses this client's connection a piece at a time; a stream that is not a plain readable is left alone. */
export function readInPieces(client: Client): void {
  const c = clientInternals(client);
  const conn = c.conn as unknown as Conn;
  const parser = c._parser as unknown as Parser;
  if (typeof conn.readableLength !== 'number' || Object.hasOwn(conn, 'read') || Object.hasOwn(parser, 'parse')) return;
  if (typeof (Object.getPrototypeOf(parser) as Parser).parse !== 'function') return;
  conn.read = readPiece;
  parser.parse = parsePiece;
}
