import type { Client } from 'aedes';
import { clientInternals } from './aedes-internals.js';

/**
 * What sees each packet (and parse error) a client's mqtt-packet parser emits, before aedes's own listeners do: the
 * MQTT 5 checks (v5-guard.ts), the outbound Receive Maximum's view of CONNECT and acknowledgements
 * (outbound-window.ts), the renaming of shared subscriptions (shared-subscriptions.ts) and the SUBSCRIBE that must
 * be taken one filter at a time (prototype-topics.ts), in that order. A hook returns true when it took the packet:
 * the ones after it and aedes never see it.
 *
 * One `emit` for every parser of the broker (`this` the parser, its client aedes's `parser.client`), over the
 * parser's inherited EventEmitter emit: an idle connection costs no closure, context or listener array of rumah's
 * here (each guard used to wrap `emit` or replace the listeners per connection: ~1 KB per connection in all).
 * Once aedes has closed the client, packets go straight to the (then empty) listeners, as before.
 */
export interface ParserHooks {
  packet(client: Client, parser: NodeJS.EventEmitter, packet: unknown): boolean;
  error(client: Client, parser: NodeJS.EventEmitter, err: Error): boolean;
}

type Emit = NodeJS.EventEmitter['emit'];
type Parser = NodeJS.EventEmitter & { client?: Client };

export function hookParsers(hooks: ParserHooks): (client: Client) => void {
  const take = (client: Client | undefined, parser: Parser, event: string | symbol, arg: unknown): boolean => {
    if (client === undefined || (event !== 'packet' && event !== 'error') || clientInternals(client).closed) return false;
    return event === 'packet' ? hooks.packet(client, parser, arg) : hooks.error(client, parser, arg as Error);
  };
  let inherited: Emit | undefined;
  // `arguments` passed on as they came: no array made per packet on the message path.
  const shared = function (this: Parser, event: string | symbol, arg?: unknown): boolean {
    if (take(this.client, this, event, arg)) return true;
    // eslint-disable-next-line prefer-rest-params
    return inherited!.apply(this, arguments as unknown as Parameters<Emit>);
  };
  return (client) => {
    const parser = clientInternals(client)._parser as Parser;
    const emit = parser.emit;
    if (Object.hasOwn(parser, 'emit') || (inherited !== undefined && inherited !== emit) || parser.client !== client) {
      // Not the parser aedes 2.0.0-beta.1 makes: a function of its own for it.
      parser.emit = function (this: Parser, event: string | symbol, arg?: unknown): boolean {
        if (take(client, this, event, arg)) return true;
        // eslint-disable-next-line prefer-rest-params
        return emit.apply(this, arguments as unknown as Parameters<Emit>);
      };
      return;
    }
    inherited = emit;
    parser.emit = shared;
  };
}
