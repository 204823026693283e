import type { Capability, StateValue } from '../../server/core/model.js';
import { binaryFromWord, numberForCommand } from '../shared/capability.js';
import { componentKey } from './components.js';

// Commands as Gen2 RPC calls (shelly-api-docs gen2 RPCProtocol; Switch.Set, Light.Set, Cover.Open/Close/Stop/
// GoToPosition), published to `<prefix>/rpc`. The reply goes to `<src>/rpc`; the device's NotifyStatus confirms
// the new state, which is what the hub keeps.

/** The cover's reported states double as commands (`closed` closes), plus the verbs themselves. */
const COVER_METHODS: Record<string, string> = {
  open: 'Cover.Open', close: 'Cover.Close', closed: 'Cover.Close', stop: 'Cover.Stop', stopped: 'Cover.Stop',
};

export interface RpcCall {
  method: string;
  params: Record<string, StateValue>;
}

export function rpcFor(cap: Capability, value: StateValue): RpcCall | undefined {
  const [key, suffix = ''] = splitProperty(cap.property);
  const parsed = componentKey(key);
  if (!parsed) return undefined;
  const [type, id] = parsed;
  const toggle = typeof value === 'string' && value.toLowerCase() === 'toggle';
  if ((type === 'switch' || type === 'light') && suffix === '') {
    if (toggle) return { method: type === 'switch' ? 'Switch.Toggle' : 'Light.Toggle', params: { id } };
    const on = binaryFromWord(cap, value);
    return on === undefined ? undefined : { method: type === 'switch' ? 'Switch.Set' : 'Light.Set', params: { id, on } };
  }
  if (type === 'light' && suffix === '_brightness') {
    const n = numberForCommand(value);
    return n === undefined || n < 0 || n > 100 ? undefined : { method: 'Light.Set', params: { id, on: true, brightness: n } };
  }
  if (type === 'cover' && suffix === '') {
    const word = typeof value === 'string' ? value.toLowerCase() : '';
    const method = Object.hasOwn(COVER_METHODS, word) ? COVER_METHODS[word] : undefined;
    return method ? { method, params: { id } } : undefined;
  }
  if (type === 'cover' && suffix === '_position') {
    const n = numberForCommand(value);
    return n === undefined || n < 0 || n > 100 ? undefined : { method: 'Cover.GoToPosition', params: { id, pos: n } };
  }
  return undefined;
}

/** Simple control (`enable_control`): `<prefix>/command/switch:0` ← on | off | toggle. Switches only. */
export function simpleCommandFor(cap: Capability, value: StateValue): { component: string; word: string } | undefined {
  const [key, suffix] = splitProperty(cap.property);
  if (suffix !== '' || componentKey(key)?.[0] !== 'switch') return undefined;
  if (typeof value === 'string' && value.toLowerCase() === 'toggle') return { component: key, word: 'toggle' };
  const on = binaryFromWord(cap, value);
  return on === undefined ? undefined : { component: key, word: on ? 'on' : 'off' };
}

function splitProperty(property: string): [string, string] {
  const i = property.indexOf('_');
  return i === -1 ? [property, ''] : [property.slice(0, i), property.slice(i)];
}
