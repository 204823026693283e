import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { ErrorCodes, RumahError } from '../core/errors.js';
import { pinnedRequest } from '../tls/pinned-request.js';
import type { CliCommand, CliContext } from './commands.js';
import { hubEntry, renderServiceUnit, underHome, underTmp } from './service-unit.js';

// `rumah service install | uninstall | status`: the hub as a systemd service (docs/service.md). As root, install
// does every step; otherwise it changes nothing and prints the unit and the steps to run with sudo.

const UNIT_NAME = 'rumah.service';
const UNIT_FILE = `/etc/systemd/system/${UNIT_NAME}`;
/** The installation: this file is dist/server/cli/service-commands.js in it. */
const installDir = fileURLToPath(new URL('../../../', import.meta.url)).replace(/\/$/, '');
const cliJs = fileURLToPath(new URL('./main.js', import.meta.url));
const userPattern = /^[a-z_][a-z0-9_-]{0,31}$/;

type Out = { text: string; json: unknown; exitCode?: number };

/** A word for a shell command line printed for a person to paste. */
function sh(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

const isRoot = (): boolean => process.getuid?.() === 0;
/** sd_booted(3): systemd is the running init. */
const systemdRunning = (): boolean => fs.existsSync('/run/systemd/system');

function run(cmd: string, args: string[]): { ok: boolean; out: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return { ok: r.status === 0, out: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? r.error.message : ''}`.trim() };
}

function must(cmd: string, args: string[]): void {
  const r = run(cmd, args);
  if (!r.ok) throw new RumahError(ErrorCodes.BAD_REQUEST, `${[cmd, ...args].map(sh).join(' ')} failed: ${r.out || 'no output'}`);
}

/** The settings the service will run with: those of the data folder, as the unit's environment sets only RUMAH_DATA. */
function serviceConfig(dataDir: string): Readonly<Config> {
  return loadConfig({ argv: [], env: { RUMAH_DATA: dataDir } });
}

function listenPorts(config: Readonly<Config>): number[] {
  const ports = [config.http.port];
  if (!config.tls.enabled || config.tls.plainMqtt) ports.push(config.mqtt.port);
  if (config.tls.enabled) ports.push(config.tls.mqttPort);
  return ports;
}

function dashboardUrl(config: Readonly<Config>): string {
  let host = config.bind;
  if (host === '0.0.0.0' || host === '::') {
    host = os.hostname();
    for (const list of Object.values(os.networkInterfaces())) {
      const a = list?.find((i) => i.family === 'IPv4' && !i.internal);
      if (a) {
        host = a.address;
        break;
      }
    }
  }
  return `${config.tls.enabled ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${config.http.port}/`;
}

/** Paths the service user must be able to reach, which `chmod` by a person can fix: none under a bound home folder. */
function unreachable(user: string, ...paths: string[]): string[] {
  const problems: string[] = [];
  for (const p of paths) {
    // Under ProtectHome=tmpfs systemd makes the parents of a bound folder itself: only the folder and below count.
    const stop = underHome(p) ? path.dirname(p) : '/';
    for (let dir = p; dir !== stop && dir !== path.dirname(dir); dir = path.dirname(dir)) {
      const st = fs.statSync(dir);
      if ((st.mode & 0o005) !== 0o005) problems.push(`${dir} (mode ${(st.mode & 0o777).toString(8)}) is closed to other users: ${user} cannot read the installation`);
    }
  }
  return problems;
}

function userExists(user: string): boolean {
  return run('getent', ['passwd', user]).ok;
}

function steps(user: string, dataDir: string, unitSource: string): string[] {
  const nologin = fs.existsSync('/usr/sbin/nologin') ? '/usr/sbin/nologin' : '/bin/false';
  return [
    `getent passwd ${user} >/dev/null || sudo useradd --system --user-group --no-create-home --home-dir ${sh(dataDir)} --shell ${nologin} ${user}`,
    `sudo mkdir -p ${sh(dataDir)} && sudo chown -R ${user}:${user} ${sh(dataDir)} && sudo chmod 0750 ${sh(dataDir)}`,
    `sudo install -m 0644 ${sh(unitSource)} ${UNIT_FILE}`,
    'sudo systemctl daemon-reload',
    `sudo systemctl enable --now ${UNIT_NAME}`,
    `journalctl -u ${UNIT_NAME} -f     # logs; the first start prints the dashboard's one-time setup code there`,
  ];
}

async function install(ctx: CliContext): Promise<Out> {
  const user = ctx.user ?? 'rumah';
  if (!userPattern.test(user)) throw new RumahError(ErrorCodes.BAD_REQUEST, `--user "${user}" is not a system user name (lower-case letters, digits, '_' and '-')`);
  if (user === 'root') throw new RumahError(ErrorCodes.BAD_REQUEST, '--user root: the hub needs no privilege and must not run as root (the default is its own user, rumah)');
  const main = path.join(installDir, hubEntry);
  if (!fs.existsSync(main)) throw new RumahError(ErrorCodes.NOT_FOUND, `${main} is missing: build the installation first (npm install, or npm run build)`);
  const dataDir = ctx.dataDir;
  const config = serviceConfig(dataDir);
  const unit = renderServiceUnit({ installDir, nodePath: process.execPath, dataDir, user, ports: listenPorts(config) });
  const url = dashboardUrl(config);
  const rerun = ['sudo', process.execPath, cliJs, 'service', 'install', '--data', dataDir, ...(ctx.user ? ['--user', user] : [])].map(sh).join(' ');
  const warnings = unreachable(user, installDir, path.dirname(process.execPath));
  if (underTmp(dataDir)) warnings.push(`the data folder ${dataDir} is in a temporary folder, which a reboot may empty (the unit gives up PrivateTmp= for it)`);

  if (ctx.output || !isRoot()) {
    const file = ctx.output ? path.resolve(ctx.output) : undefined;
    if (file) fs.writeFileSync(file, unit);
    const text = [
      file ? `wrote the unit to ${file}; nothing else was changed.` : 'not running as root: nothing was changed. Run the same command as root:',
      ...(file ? [] : ['', `  ${rerun}`, '', 'or do its steps yourself (rumah.service: the unit below; --output rumah.service writes it):']),
      '',
      ...steps(user, dataDir, file ?? 'rumah.service').map((s) => `  ${s}`),
      '',
      ...warnings.map((w) => `warning: ${w}`),
      `then the dashboard is at ${url}`,
      ...(file ? [] : ['', `# ${UNIT_FILE}`, unit]),
    ].join('\n');
    // Without root and without --output the service is not installed: say so in the exit code too.
    return { text, json: { installed: false, unit, unitFile: file ?? null, steps: steps(user, dataDir, file ?? 'rumah.service'), url }, exitCode: file ? 0 : 1 };
  }

  const running = hubOn(dataDir);
  if (running && !running.service) {
    throw new RumahError(ErrorCodes.DATA_DIR_IN_USE, `a hub (pid ${running.pid}) is running on ${dataDir}: stop it first, the service would find the folder in use (exit 3)`);
  }
  const done: string[] = [];
  if (!userExists(user)) {
    must('useradd', ['--system', '--user-group', '--no-create-home', '--home-dir', dataDir, '--shell', fs.existsSync('/usr/sbin/nologin') ? '/usr/sbin/nologin' : '/bin/false', user]);
    done.push(`created the system user ${user}`);
  }
  fs.mkdirSync(dataDir, { recursive: true });
  // Files made by an earlier `npm start` belong to whoever ran it; the service user must own its data.
  must('chown', ['-R', `${user}:`, dataDir]);
  fs.chmodSync(dataDir, 0o750);
  done.push(`${dataDir} belongs to ${user} (mode 0750)`);
  fs.writeFileSync(UNIT_FILE, unit, { mode: 0o644 });
  done.push(`wrote ${UNIT_FILE}`);
  let health = 'not started';
  if (systemdRunning()) {
    must('systemctl', ['daemon-reload']);
    must('systemctl', ['enable', UNIT_NAME]);
    // restart, not start: installing again over a running service must put the new unit to work.
    must('systemctl', ['restart', UNIT_NAME]);
    done.push(`enabled and (re)started ${UNIT_NAME}`);
    health = await waitHealthy(dataDir, config, 15_000);
  } else {
    done.push('systemd is not running on this machine: the unit is written but not started (on a systemd machine: systemctl enable --now rumah)');
  }
  const text = [
    ...done.map((d) => `- ${d}`),
    ...warnings.map((w) => `warning: ${w}`),
    ...(health === 'not started' ? [] : [`hub: ${health}`]),
    `logs: journalctl -u ${UNIT_NAME} -f   (the first start prints the one-time setup code there)`,
    `dashboard: ${url}`,
  ].join('\n');
  return { text, json: { installed: true, unitFile: UNIT_FILE, user, dataDir, health, url }, exitCode: health === 'not started' || health.startsWith('ok') ? 0 : 1 };
}

async function uninstall(): Promise<Out> {
  const commands = [`sudo systemctl disable --now ${UNIT_NAME}`, `sudo rm ${UNIT_FILE}`, 'sudo systemctl daemon-reload'];
  if (!isRoot()) {
    return { text: ['not running as root: nothing was changed. Run it as root, or:', '', ...commands.map((c) => `  ${c}`)].join('\n'), json: { removed: false, commands }, exitCode: 1 };
  }
  if (!fs.existsSync(UNIT_FILE)) return { text: `${UNIT_FILE} is not there: nothing to remove`, json: { removed: false }, exitCode: 0 };
  if (systemdRunning()) must('systemctl', ['disable', '--now', UNIT_NAME]);
  fs.rmSync(UNIT_FILE);
  if (systemdRunning()) must('systemctl', ['daemon-reload']);
  return {
    text: `${systemdRunning() ? 'stopped and ' : ''}removed ${UNIT_NAME}. The data folder and the system user are kept (userdel rumah removes the user).`,
    json: { removed: true, unitFile: UNIT_FILE },
  };
}

async function status(ctx: CliContext): Promise<Out> {
  const unitText = fs.existsSync(UNIT_FILE) ? fs.readFileSync(UNIT_FILE, 'utf8') : undefined;
  const unitData = unitText?.match(/^Environment="?RUMAH_DATA=(.*?)"?$/m)?.[1];
  let systemd = 'systemd is not running here';
  if (systemdRunning()) {
    const active = run('systemctl', ['is-active', UNIT_NAME]).out || 'unknown';
    const enabled = run('systemctl', ['is-enabled', UNIT_NAME]).out || 'unknown';
    systemd = `${active}, ${enabled}`;
  }
  const dataDir = ctx.dataDir;
  let config: Readonly<Config> | undefined;
  try {
    config = serviceConfig(dataDir);
  } catch {
    config = undefined;
  }
  const hub = await healthOf(dataDir);
  const lines = [
    `unit:      ${unitText ? `${UNIT_FILE}${unitData ? ` (data ${unitData})` : ''}` : 'not installed (rumah service install)'}`,
    `systemd:   ${systemd}`,
    `hub:       ${hub} (data ${dataDir})`,
    ...(config ? [`dashboard: ${dashboardUrl(config)}`] : []),
  ];
  return { text: lines.join('\n'), json: { unitFile: unitText ? UNIT_FILE : null, unitDataDir: unitData ?? null, systemd, hub, dataDir }, exitCode: hub.startsWith('ok') ? 0 : 3 };
}

interface RunningHub {
  pid: number;
  httpPort: number;
  bind: string;
  tls?: { fingerprint256: string };
  /** Run by systemd (its parent is PID 1). */
  service: boolean;
}

/** The hub running on a data folder, from its runtime.json; a process of another user (the service's) counts too. */
function hubOn(dataDir: string): RunningHub | undefined {
  let runtime: RunningHub;
  try {
    runtime = JSON.parse(fs.readFileSync(path.join(dataDir, 'runtime.json'), 'utf8')) as RunningHub;
  } catch {
    return undefined;
  }
  try {
    process.kill(runtime.pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return undefined;
  }
  let ppid = '';
  try {
    ppid = fs.readFileSync(`/proc/${runtime.pid}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ')[1] ?? '';
  } catch {
    /* not Linux, or gone */
  }
  return { ...runtime, service: ppid === '1' };
}

/** GET /healthz of the hub on a data folder: "ok", or what is wrong with it. */
async function healthOf(dataDir: string): Promise<string> {
  const hub = hubOn(dataDir);
  if (!hub) {
    if (fs.existsSync(dataDir) && !canRead(path.join(dataDir, 'runtime.json'))) return `unknown: ${dataDir} cannot be read by this user (try as root)`;
    return 'not running';
  }
  const host = hub.bind === '0.0.0.0' || hub.bind === '::' ? '127.0.0.1' : hub.bind;
  try {
    const res = hub.tls
      ? await pinnedRequest({ host, port: hub.httpPort, fingerprint256: hub.tls.fingerprint256, method: 'GET', path: '/healthz', headers: {} })
      : await fetch(`http://${host.includes(':') ? `[${host}]` : host}:${hub.httpPort}/healthz`, { signal: AbortSignal.timeout(5000) }).then(async (r) => ({ status: r.status, text: await r.text() }));
    return res.status === 200 ? `ok (pid ${hub.pid}, /healthz 200)` : `unhealthy (pid ${hub.pid}, /healthz ${res.status}: ${res.text.slice(0, 200)})`;
  } catch (err) {
    return `not answering (pid ${hub.pid}: ${(err as Error).message})`;
  }
}

function canRead(file: string): boolean {
  try {
    fs.accessSync(path.dirname(file), fs.constants.R_OK | fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

async function waitHealthy(dataDir: string, config: Readonly<Config>, ms: number): Promise<string> {
  const deadline = Date.now() + ms;
  let last = 'not running';
  while (Date.now() < deadline) {
    last = await healthOf(dataDir);
    if (last.startsWith('ok')) return last;
    await new Promise((r) => setTimeout(r, 250));
  }
  return `${last} after ${ms / 1000} s: see journalctl -u ${UNIT_NAME} (dashboard would be ${dashboardUrl(config)})`;
}

export const serviceCommands: CliCommand[] = [
  {
    words: ['service', 'install'], args: 0, store: false, usage: 'service install [--user NAME] [--output FILE]',
    help: 'run the hub as a systemd service (as root: user, unit, start; otherwise print the steps for sudo)',
    run: install,
  },
  { words: ['service', 'uninstall'], args: 0, store: false, usage: 'service uninstall', help: 'stop and remove the systemd service (data and user are kept)', run: uninstall },
  { words: ['service', 'status'], args: 0, store: false, usage: 'service status [--json]', help: 'the service\'s unit, systemd state and the hub\'s /healthz (exit 3 when not healthy)', run: status },
];
