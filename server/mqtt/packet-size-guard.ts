import type { Client } from 'aedes';

interface ParserInternals {
  packet: { length: number };
  _parseLength(): boolean;
  _emitError(err: Error): void;
}

/**
 * mqtt-packet buffers a whole packet before it parses it, and has no size limit for MQTT 3.1.1, so a client
 * announcing a 256 MB remaining length could make the hub buffer 256 MB. We check the remaining length as soon
 * as the fixed header is decoded and fail the parser, which makes aedes drop that client only. This reaches into
 * the client's parser because aedes offers no hook between header and body.
 */
export function guardPacketSize(client: Client, maxBytes: number, onRefused: (length: number) => void): void {
  const parser = (client as unknown as { _parser?: ParserInternals })._parser;
  if (!parser || typeof parser._parseLength !== 'function') return;
  const parseLength = parser._parseLength.bind(parser);
  parser._parseLength = function guardedParseLength(): boolean {
    const done = parseLength();
    if (done && parser.packet.length > maxBytes) {
      onRefused(parser.packet.length);
      parser._emitError(new Error(`packet of ${parser.packet.length} bytes exceeds the limit of ${maxBytes}`));
      return false;
    }
    return done;
  };
}
