import { ErrorCodes, RumahError } from '../core/errors.js';
import type { CliCommand } from '../cli/commands.js';
import type { Store } from '../store/index.js';
import { MqttSnBindingsApi } from './bindings-api.js';
import { BindingsRepo } from './bindings-repo.js';

/** The CLI runs beside the hub, not in it: whether the gateway is on does not matter to a binding. */
const api = (store: Store): MqttSnBindingsApi => new MqttSnBindingsApi({ store, enabled: true });

/** `rumah mqttsn …`: which MQTT-SN client ids are admitted as which account, and the accounts' predefined topic ids. */
export const mqttsnCommands: CliCommand[] = [
  {
    words: ['mqttsn', 'bind'], args: 2, usage: 'mqttsn bind CLIENTID ACCOUNT [--from ADDR[,ADDR]]', help: 'admit an MQTT-SN client id as an MQTT account (optionally only from these IPs)',
    async run({ store, args, from }) {
      const [clientId, account] = args as [string, string];
      const b = await api(store).bind(clientId, account, from?.split(','));
      return { text: `MQTT-SN client ${clientId} → account ${account}${b.addresses ? ` (from ${b.addresses.join(', ')})` : ''}`, json: b };
    },
  },
  {
    words: ['mqttsn', 'unbind'], args: 1, usage: 'mqttsn unbind CLIENTID', help: 'refuse an MQTT-SN client id from its next CONNECT on',
    async run({ store, args }) {
      const done = await api(store).unbind(args[0]!);
      return { text: `MQTT-SN client ${args[0]} unbound`, json: done };
    },
  },
  {
    words: ['mqttsn', 'list'], args: 0, usage: 'mqttsn list [--json]', help: 'list MQTT-SN client bindings',
    async run({ store }) {
      const list = (await api(store).list()).bindings;
      return { text: list.map((b) => `${b.clientId}\t${b.account}${b.addresses ? `\tfrom ${b.addresses.join(',')}` : ''}`).join('\n') || '(none)', json: list };
    },
  },
  {
    words: ['mqttsn', 'topic'], args: 3, usage: 'mqttsn topic ACCOUNT ID TOPIC', help: 'set a predefined MQTT-SN topic id of an account (1-65534)',
    async run({ store, args }) {
      const [account, id, topic] = args as [string, string, string];
      if (!(await store.accounts.exists(account))) throw new RumahError(ErrorCodes.NOT_FOUND, `no MQTT account "${account}"`);
      if (!/^\d+$/.test(id)) throw new RumahError(ErrorCodes.BAD_REQUEST, `topic id "${id}" is not a number`);
      await new BindingsRepo(store.db).setTopic(account, Number(id), topic);
      return { text: `${account}: predefined topic ${id} = ${topic}`, json: { account, topicId: Number(id), topic } };
    },
  },
];
