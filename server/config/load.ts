import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import YAML from 'yaml';
import { configSchema, defaults, type Config } from './schema.js';
import { ErrorCodes, RumahError } from '../core/errors.js';

type Json = Record<string, unknown>;

/** Environment variables and the config path each one sets. */
const envMap: Record<string, { path: string; type: 'string' | 'number' | 'boolean' }> = {
  RUMAH_DATA: { path: 'dataDir', type: 'string' },
  RUMAH_BIND: { path: 'bind', type: 'string' },
  RUMAH_LOG_LEVEL: { path: 'log.level', type: 'string' },
  RUMAH_MQTT_PORT: { path: 'mqtt.port', type: 'number' },
  RUMAH_HTTP_PORT: { path: 'http.port', type: 'number' },
  RUMAH_ALLOW_ANONYMOUS: { path: 'mqtt.allowAnonymous', type: 'boolean' },
  RUMAH_PERSISTENCE: { path: 'mqtt.persistence', type: 'string' },
  RUMAH_TLS: { path: 'tls.enabled', type: 'boolean' },
  RUMAH_TLS_MQTT_PORT: { path: 'tls.mqttPort', type: 'number' },
  RUMAH_TLS_CERT: { path: 'tls.certFile', type: 'string' },
  RUMAH_TLS_KEY: { path: 'tls.keyFile', type: 'string' },
};

const flagMap: Record<string, { path: string; type: 'string' | 'number' | 'boolean' }> = {
  data: { path: 'dataDir', type: 'string' },
  bind: { path: 'bind', type: 'string' },
  'mqtt-port': { path: 'mqtt.port', type: 'number' },
  'http-port': { path: 'http.port', type: 'number' },
  'log-level': { path: 'log.level', type: 'string' },
  persistence: { path: 'mqtt.persistence', type: 'string' },
  tls: { path: 'tls.enabled', type: 'boolean' },
  'tls-mqtt-port': { path: 'tls.mqttPort', type: 'number' },
};

export interface LoadOptions {
  argv?: string[];
  env?: NodeJS.ProcessEnv;
}

/**
 * defaults < `<data>/rumah.yaml` < RUMAH_* env < CLI flags. Validated once with every error and its path,
 * then frozen. Throws RumahError(CONFIG_INVALID) — main.ts turns it into exit code 2.
 */
export function loadConfig({ argv = [], env = process.env }: LoadOptions = {}): Readonly<Config> {
  const errors: string[] = [];
  let flags: Record<string, string | boolean | undefined> = {};
  try {
    const parsed = parseArgs({
      args: argv,
      strict: true,
      options: Object.fromEntries(Object.entries(flagMap).map(([k, spec]) => [k, { type: spec.type === 'boolean' ? 'boolean' as const : 'string' as const }])),
    });
    flags = parsed.values;
  } catch (err) {
    throw new RumahError(ErrorCodes.CONFIG_INVALID, `${(err as Error).message}\nValid flags: ${Object.keys(flagMap).map((f) => `--${f}`).join(', ')}`);
  }

  const fromEnv: Json = {};
  for (const [name, spec] of Object.entries(envMap)) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    const value = coerce(raw, spec.type, `${name}`, errors);
    if (value !== undefined) setPath(fromEnv, spec.path, value);
  }
  const fromFlags: Json = {};
  for (const [name, spec] of Object.entries(flagMap)) {
    const raw = flags[name];
    if (raw === true) setPath(fromFlags, spec.path, true); // a boolean flag: present means on
    if (typeof raw !== 'string') continue;
    const value = coerce(raw, spec.type, `--${name}`, errors);
    if (value !== undefined) setPath(fromFlags, spec.path, value);
  }

  // The data dir decides where rumah.yaml is, so it is resolved before the file is read.
  const dataDir = (getPath(fromFlags, 'dataDir') ?? getPath(fromEnv, 'dataDir') ?? defaults.dataDir) as string;
  const yamlFile = path.join(dataDir, 'rumah.yaml');
  const { value: fromFile, lineOf } = readYamlFile(yamlFile, errors);

  // Validated even when a layer had errors (a value that could not be read is left out), so that one start names
  // every mistake, each with the place to mend it.
  const merged = deepMerge(deepMerge(deepMerge(structuredClone(defaults) as unknown as Json, fromFile), fromEnv), fromFlags);
  const result = configSchema.safeParse(merged);
  if (!result.success) {
    for (const issue of result.error.issues) {
      const keys = issue.path.map(String);
      // An unknown key is reported on its parent; its own line is the one to mend.
      const at = issue.code === 'unrecognized_keys' ? [...keys, String(issue.keys[0])] : keys;
      errors.push(`${whereSet(keys.join('.'), { fromFlags, fromEnv, fromFile }, yamlFile, lineOf(at))}: ${issue.message}`);
    }
  }
  if (errors.length || !result.success) throw invalid(errors);
  const config = result.data;
  config.dataDir = path.resolve(config.dataDir);
  return deepFreeze(config);
}

/** The flag, variable or file line a setting came from, for an error message: `--mqtt-port (mqtt.port)`. */
function whereSet(dotted: string, layers: { fromFlags: Json; fromEnv: Json; fromFile: Json }, yamlFile: string, line: number | undefined): string {
  const name = dotted || '(top level)';
  const flag = Object.entries(flagMap).find(([, spec]) => spec.path === dotted)?.[0];
  if (flag && getPath(layers.fromFlags, dotted) !== undefined) return `--${flag} (${dotted})`;
  const variable = Object.entries(envMap).find(([, spec]) => spec.path === dotted)?.[0];
  if (variable && getPath(layers.fromEnv, dotted) !== undefined) return `${variable} (${dotted})`;
  if (line !== undefined) return `${yamlFile}:${line}: ${name}`;
  return dotted && getPath(layers.fromFile, dotted) !== undefined ? `${yamlFile}: ${dotted}` : name;
}

function invalid(errors: string[]): RumahError {
  return new RumahError(ErrorCodes.CONFIG_INVALID, `invalid configuration:\n  ${errors.join('\n  ')}`, errors);
}

interface YamlSettings {
  value: Json;
  /** The line of the setting at `keys` in the file, if it is there. */
  lineOf: (keys: string[]) => number | undefined;
}

function readYamlFile(file: string, errors: string[]): YamlSettings {
  const none: YamlSettings = { value: {}, lineOf: () => undefined };
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    // No file, or no data dir yet (ENOTDIR is reported clearly by the data dir check at start).
    if (['ENOENT', 'ENOTDIR'].includes((err as NodeJS.ErrnoException).code ?? '')) return none;
    errors.push(`${file}: cannot read (${(err as Error).message})`);
    return none;
  }
  const lines = new YAML.LineCounter();
  const doc = YAML.parseDocument(text, { lineCounter: lines });
  if (doc.errors.length) {
    for (const e of doc.errors) errors.push(`${file}:${e.linePos?.[0]?.line ?? '?'}: ${e.message.split('\n')[0]}`);
    return none;
  }
  const value = doc.toJS() as unknown;
  if (value === null || value === undefined) return none;
  if (typeof value !== 'object' || Array.isArray(value)) {
    errors.push(`${file}: must be a mapping of settings`);
    return none;
  }
  return { value: value as Json, lineOf: (keys) => keyLine(doc, keys, lines) };
}

/** The line of the key at `keys`: the one to mend (a nested mapping's value starts on the next). */
function keyLine(doc: YAML.Document, keys: string[], lines: YAML.LineCounter): number | undefined {
  const parent = keys.length > 1 ? doc.getIn(keys.slice(0, -1), true) : doc.contents;
  if (!YAML.isMap(parent)) return undefined;
  const pair = parent.items.find((p) => YAML.isScalar(p.key) && String(p.key.value) === keys[keys.length - 1]);
  const range = (pair?.key as { range?: [number, number, number] } | undefined)?.range;
  return range ? lines.linePos(range[0]).line : undefined;
}

function coerce(raw: string, type: 'string' | 'number' | 'boolean', name: string, errors: string[]): unknown {
  if (type === 'string') return raw;
  if (type === 'number') {
    const n = Number(raw);
    if (!Number.isFinite(n) || raw.trim() === '') {
      errors.push(`${name}: expected a number, got "${raw}"`);
      return undefined;
    }
    return n;
  }
  if (/^(true|1|yes|on)$/i.test(raw)) return true;
  if (/^(false|0|no|off)$/i.test(raw)) return false;
  errors.push(`${name}: expected true or false, got "${raw}"`);
  return undefined;
}

function setPath(target: Json, dotted: string, value: unknown): void {
  const keys = dotted.split('.');
  let node = target;
  for (const key of keys.slice(0, -1)) node = (node[key] ??= {}) as Json;
  node[keys[keys.length - 1]!] = value;
}

function getPath(source: Json, dotted: string): unknown {
  let node: unknown = source;
  for (const key of dotted.split('.')) node = (node as Json | undefined)?.[key];
  return node;
}

function deepMerge(base: Json, over: Json): Json {
  for (const [key, value] of Object.entries(over)) {
    const current = base[key];
    if (isPlain(value) && isPlain(current)) base[key] = deepMerge({ ...current }, value);
    else base[key] = value;
  }
  return base;
}

function isPlain(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function deepFreeze<T>(value: T): T {
  if (isPlain(value)) for (const v of Object.values(value)) deepFreeze(v);
  return Object.freeze(value);
}
