import fs from 'node:fs';
import path from 'node:path';
import { ErrorCodes, RumahError } from '../core/errors.js';
import { loadConfig } from '../config/load.js';
import { checkRuleFiles, formatCheck } from '../../rules/cli/check.js';
import { copyExamples } from '../../rules/cli/examples.js';
import { readFixture, replay } from '../../rules/cli/replay.js';
import type { Store } from '../store/index.js';
import { tokenScopes, type TokenScope } from '../store/api-tokens-repo.js';
import { callHub, runningHub } from './hub-client.js';
import { issueDeviceCertificate } from '../tls/device-cert.js';
import { mqttsnCommands } from '../mqttsn/cli.js';
import { serviceCommands } from './service-commands.js';
import { backupCommands } from './backup-commands.js';

export interface CliContext {
  store: Store;
  args: string[];
  dataDir: string;
  role?: string;
  scope?: string;
  /** `pair --for N` */
  seconds?: string;
  close?: boolean;
  /** `devices cert NAME --out DIR --days N` */
  out?: string;
  days?: string;
  /** `mqttsn bind CLIENTID ACCOUNT --from ADDR` */
  from?: string;
  /** `service install --user NAME --output FILE` */
  user?: string;
  output?: string;
  /** `restore FILE --key KEY` */
  key?: string;
}

export interface CliCommand {
  words: string[];
  args: number;
  usage: string;
  help: string;
  /** false: works on files only; the database is not opened (ctx.store is not there). */
  store?: false;
  /** exitCode: a command that found problems (rules check) exits 1 with its report on stdout. */
  run(ctx: CliContext): Promise<{ text: string; json: unknown; exitCode?: number }>;
}

const namePattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
function checkName(name: string, what: string): string {
  if (!namePattern.test(name)) throw new RumahError(ErrorCodes.BAD_REQUEST, `${what} "${name}" must be 1-64 letters, digits, '.', '_' or '-'`);
  return name;
}

export const commands: CliCommand[] = [
  {
    words: ['devices', 'add'], args: 1, usage: 'devices add NAME [--json]', help: 'create MQTT credentials for a device (password shown once)',
    async run({ store, args }) {
      const username = checkName(args[0]!, 'device name');
      const password = await store.accounts.create(username, 'device');
      return { text: `username: ${username}\npassword: ${password}\n(shown once; store it in the device)`, json: { username, password } };
    },
  },
  {
    words: ['devices', 'list'], args: 0, usage: 'devices list [--json]', help: 'list MQTT device credentials',
    async run({ store }) {
      const accounts = await store.accounts.list();
      return { text: accounts.map((a) => `${a.username}\t${a.kind}${a.revokedAt ? '\trevoked' : ''}`).join('\n') || '(none)', json: accounts };
    },
  },
  {
    words: ['devices', 'rotate'], args: 1, usage: 'devices rotate NAME [--json]', help: 'give a device a new password (the old one stops working)',
    async run({ store, args }) {
      const password = await store.accounts.rotate(args[0]!);
      return { text: `username: ${args[0]}\npassword: ${password}`, json: { username: args[0], password } };
    },
  },
  {
    words: ['devices', 'revoke'], args: 1, usage: 'devices revoke NAME', help: 'revoke a device\'s credentials (a running hub disconnects it)',
    async run({ store, args, dataDir }) {
      // Through the running hub when there is one, so the device is disconnected at once, not only refused later.
      if (runningHub(dataDir)) {
        const out = (await callHub(store, dataDir, 'DELETE', `/api/accounts/${encodeURIComponent(args[0]!)}`)) as { disconnected: number };
        return { text: `revoked ${args[0]} (${out.disconnected} connection(s) closed)`, json: { username: args[0], revoked: true, disconnected: out.disconnected } };
      }
      await store.accounts.revoke(args[0]!);
      return { text: `revoked ${args[0]}`, json: { username: args[0], revoked: true } };
    },
  },
  {
    words: ['devices', 'cert'], args: 1, usage: 'devices cert NAME [--out DIR] [--days N]', help: 'issue a TLS client certificate for a device account (tls.clientCertificates)',
    async run({ store, args, dataDir, out, days }) {
      const name = checkName(args[0]!, 'device name');
      const account = await store.accounts.get(name);
      if (!account || account.revokedAt !== undefined) throw new RumahError(ErrorCodes.NOT_FOUND, `no active MQTT account "${name}": create it first with devices add ${name}`);
      const n = Number(days ?? '825');
      if (!Number.isInteger(n) || n < 1) throw new RumahError(ErrorCodes.BAD_REQUEST, '--days takes a whole number of days');
      const issued = await issueDeviceCertificate({ dataDir, name, outDir: path.resolve(out ?? `${name}-tls`), days: n });
      const text = [
        `certificate: ${issued.cert}`, `key:         ${issued.key} (keep it secret; it logs in as ${name})`, `CA:          ${issued.ca}`,
        `valid until ${issued.validTo}; \`devices revoke ${name}\` refuses it`,
        ...(issued.caCreated ? ['the hub\'s CA was created now: a running hub trusts it from its next start'] : []),
        `try: mosquitto_pub -h HUB -p 8883 --cafile ${issued.ca} --cert ${issued.cert} --key ${issued.key} -t TOPIC -m MESSAGE`,
      ].join('\n');
      return { text, json: { username: name, ...issued } };
    },
  },
  {
    words: ['pair'], args: 0, usage: 'pair --for SECONDS | pair --close', help: 'open (or close) the running hub\'s join window for new devices',
    async run({ store, dataDir, seconds, close }) {
      if (close) {
        await callHub(store, dataDir, 'POST', '/api/pairing/close', {});
        return { text: 'join window closed', json: { open: false } };
      }
      const n = Number(seconds ?? '120');
      if (!Number.isInteger(n) || n < 1 || n > 3600) throw new RumahError(ErrorCodes.BAD_REQUEST, '--for takes whole seconds from 1 to 3600');
      const state = (await callHub(store, dataDir, 'POST', '/api/pairing/open', { seconds: n })) as { remaining: number };
      return { text: `join window open for ${state.remaining} s: new devices may connect with any username and password; accept them in the dashboard or with the API`, json: state };
    },
  },
  {
    words: ['tokens', 'create'], args: 1, usage: 'tokens create NAME [--scope metrics|read|control|admin] [--json]', help: 'create a long-lived API token (Authorization: Bearer ...); give it the least scope it needs (admin when not said)',
    async run({ store, args, scope = 'admin' }) {
      const name = checkName(args[0]!, 'token name');
      if (!(tokenScopes as readonly string[]).includes(scope)) throw new RumahError(ErrorCodes.BAD_REQUEST, `--scope must be one of ${tokenScopes.join(', ')}`);
      const token = await store.apiTokens.create(name, Date.now(), scope as TokenScope);
      return { text: `token: ${token}\nscope: ${scope}\n(shown once)`, json: { name, token, scope } };
    },
  },
  {
    words: ['tokens', 'list'], args: 0, usage: 'tokens list [--json]', help: 'list API tokens',
    async run({ store }) {
      const tokens = await store.apiTokens.list();
      return { text: tokens.map((t) => t.name).join('\n') || '(none)', json: tokens };
    },
  },
  {
    words: ['tokens', 'revoke'], args: 1, usage: 'tokens revoke NAME', help: 'delete an API token (a running hub closes its connections)',
    async run({ store, args, dataDir }) {
      // Through the running hub when there is one: its dashboard sockets opened with the token close at once.
      if (runningHub(dataDir)) await callHub(store, dataDir, 'DELETE', `/api/tokens/${encodeURIComponent(args[0]!)}`);
      else await store.apiTokens.remove(args[0]!);
      return { text: `revoked ${args[0]}`, json: { name: args[0], revoked: true } };
    },
  },
  {
    words: ['users', 'add'], args: 2, usage: 'users add NAME PASSWORD [--role admin|member]', help: 'create a dashboard user',
    async run({ store, args, role = 'member' }) {
      if (role !== 'admin' && role !== 'member') throw new RumahError(ErrorCodes.BAD_REQUEST, '--role must be admin or member');
      if (args[1]!.length < 8) throw new RumahError(ErrorCodes.BAD_REQUEST, 'password must have at least 8 characters');
      await store.users.create(checkName(args[0]!, 'user name'), args[1]!, role);
      return { text: `created ${role} ${args[0]}`, json: { username: args[0], role } };
    },
  },
  {
    words: ['rules', 'check'], args: 0, store: false, usage: 'rules check [FILE...] [--json]', help: 'validate rule files (default: every file in <data>/rules); exit 1 with file:line:col messages',
    async run({ args, dataDir }) {
      const checked = checkRuleFiles(args, path.join(dataDir, 'rules'));
      const report = formatCheck(checked);
      return { text: report.text, json: checked, exitCode: report.ok ? 0 : 1 };
    },
  },
  {
    words: ['rules', 'test'], args: 2, store: false, usage: 'rules test RULE FIXTURE.json [--json]', help: 'replay a fixture\'s messages against a rule (a file, or an id in <data>/rules) and print its traces',
    async run({ args, dataDir }) {
      const [ref, fixture] = args as [string, string];
      const file = resolveRuleFile(ref, path.join(dataDir, 'rules'));
      let location: { timezone?: string; latitude?: number; longitude?: number } | undefined;
      try {
        location = loadConfig({ argv: ['--data', dataDir], env: {} }).location;
      } catch {
        location = undefined;
      }
      const result = await replay(path.basename(file), fs.readFileSync(file, 'utf8'), readFixture(fixture), {
        ...(location?.timezone ? { timezone: location.timezone } : {}),
        ...(location?.latitude !== undefined && location.longitude !== undefined ? { location: { latitude: location.latitude, longitude: location.longitude } } : {}),
      });
      if (result.errors.length) {
        return { text: formatCheck([{ file: path.basename(file), errors: result.errors }]).text, json: result, exitCode: 1 };
      }
      return { text: result.lines.join('\n'), json: { rule: result.ruleId, traces: result.traces, published: result.published } };
    },
  },
  {
    words: ['rules', 'examples'], args: 0, store: false, usage: 'rules examples', help: 'copy the shipped example rules into <data>/rules, disabled (existing files are kept)',
    async run({ dataDir }) {
      const done = copyExamples(path.join(dataDir, 'rules'));
      const text = [
        ...done.copied.map((f) => `copied ${f} (disabled)`),
        ...done.skipped.map((f) => `kept ${f} (exists)`),
        ...(done.copied.length ? ['enable one on the dashboard\'s Rules page, or set enabled: true in its file'] : []),
      ].join('\n');
      return { text: text || 'no examples found', json: done };
    },
  },
  ...mqttsnCommands,
  ...serviceCommands,
  ...backupCommands,
];

/** A rule file path, or the id of a rule in the rules folder. */
function resolveRuleFile(ref: string, rulesDir: string): string {
  if (fs.existsSync(ref)) return ref;
  for (const name of [`${ref}.yaml`, `${ref}.yml`]) if (fs.existsSync(path.join(rulesDir, name))) return path.join(rulesDir, name);
  const match = checkRuleFiles([], rulesDir).find((c) => c.id === ref);
  if (match) return match.file;
  throw new RumahError(ErrorCodes.NOT_FOUND, `no rule file or rule "${ref}" (looked in ${rulesDir})`);
}
