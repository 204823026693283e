import path from 'node:path';
import { hubNodeFlags } from '../node-flags.js';

// The systemd unit `rumah service install` writes: pure text from a few facts about the install, so that tests can
// check it without systemd (systemd-analyze verify, and running its ExecStart). systemd.service(5), systemd.exec(5).

export interface ServiceUnitOptions {
  /** The installation (this repository): WorkingDirectory, and the hub's bundle in it (hubEntry). */
  installDir: string;
  /** The Node binary to run, absolute (process.execPath of the installer: the Node that built dist/). */
  nodePath: string;
  /** The data folder, absolute: the only place the service may write. */
  dataDir: string;
  /** The account the hub runs as (its own system user by default). */
  user: string;
  /** Every TCP port the configuration listens on: one below 1024 needs CAP_NET_BIND_SERVICE. */
  ports: number[];
}

/** Folders that ProtectHome= hides (systemd.exec(5)): an install, data folder or Node under them needs handling. */
const homeRoots = ['/home', '/root', '/run/user'];

export function underHome(p: string): boolean {
  return homeRoots.some((root) => p === root || p.startsWith(`${root}/`));
}

export function underTmp(p: string): boolean {
  return ['/tmp', '/var/tmp'].some((root) => p === root || p.startsWith(`${root}/`));
}

/** The folder a Node binary belongs to: /usr for /usr/bin/node, ~/.nvm/versions/node/v20.x for nvm's. */
export function nodePrefix(nodePath: string): string {
  return path.dirname(path.dirname(nodePath));
}

/** The hub as the service runs it: the bundle scripts/build-server.mjs makes (as `npm start` does; a faster start). */
export const hubEntry = 'dist/server/bundle/main.js';

/** The command line systemd runs: Node, the hub's Node flags and its entry point (settings: the data folder's rumah.yaml). */
export function execStart(o: Pick<ServiceUnitOptions, 'installDir' | 'nodePath'>): string[] {
  return [o.nodePath, ...hubNodeFlags, path.join(o.installDir, hubEntry)];
}

/** The environment the unit sets, in order. */
export function environment(o: Pick<ServiceUnitOptions, 'dataDir'>): Array<[string, string]> {
  return [['NODE_ENV', 'production'], ['RUMAH_DATA', o.dataDir]];
}

/**
 * One word of a unit setting. systemd splits ExecStart= and path lists on spaces, takes C-style escapes inside double
 * quotes, and expands %-specifiers everywhere (systemd.unit(5), "Specifiers"; systemd.service(5), "Command lines").
 */
export function systemdWord(word: string): string {
  if (/[\x00-\x1f\x7f]/.test(word)) throw new Error(`a path with a control character cannot go into a systemd unit: ${JSON.stringify(word)}`);
  const escaped = word.replace(/%/g, '%%');
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(escaped) ? escaped : `"${escaped.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** A setting that takes one path, not a list (WorkingDirectory=): no quotes, only specifiers escaped. */
function systemdPath(p: string): string {
  systemdWord(p); // the same refusal of control characters
  return p.replace(/%/g, '%%');
}

export function renderServiceUnit(o: ServiceUnitOptions): string {
  const bindsLowPort = o.ports.some((p) => p > 0 && p < 1024);
  // ProtectHome=yes makes /home, /root and /run/user empty and unreachable: an install under a home folder (a
  // Raspberry Pi's /home/pi/rumah, an nvm Node) could not be read. tmpfs instead hides every home folder behind an
  // empty one and binds back only what the hub needs, read-only, and the data folder writable. systemd makes the
  // missing parent folders of a bind mount itself (0755), so a home folder closed to other users (0700) does not
  // stop the service user either.
  const readOnly = [o.installDir, nodePrefix(o.nodePath)].filter(underHome);
  const homeHandled = readOnly.length > 0 || underHome(o.dataDir);
  const lines = [
    '# Written by `rumah service install`; `rumah service uninstall` removes it. Settings: <data>/rumah.yaml.',
    '[Unit]',
    'Description=rumah smart-home hub (MQTT broker, devices, rules, dashboard)',
    `Documentation=${`file://${encodeURI(path.join(o.installDir, 'docs/service.md'))}`.replace(/%/g, '%%')}`,
    // The hub names its own addresses in the certificate it makes at the first TLS start: wait for the network.
    'Wants=network-online.target',
    'After=network-online.target',
    '',
    '[Service]',
    // exec: a Node that cannot be started fails the start, instead of a "started" service that exits at once.
    'Type=exec',
    `User=${o.user}`,
    `Group=${o.user}`,
    `WorkingDirectory=${systemdPath(o.installDir)}`,
    ...environment(o).map(([k, v]) => `Environment=${systemdWord(`${k}=${v}`)}`),
    `ExecStart=${execStart(o).map(systemdWord).join(' ')}`,
    // SIGTERM: the hub flushes history and closes its databases (server/main.ts gives that 5 s, then leaves).
    'TimeoutStopSec=15',
    'Restart=on-failure',
    'RestartSec=5',
    // Exit codes of server/main.ts: 2 = the configuration (or a certificate, or the installed aedes) must be fixed;
    // 3 = the data needs a person (corrupt or unreadable database, unwritable folder, another hub on it). A restart
    // would only repeat them; 1 (a crash, a full disk) is retried.
    'RestartPreventExitStatus=2 3',
    // One descriptor per MQTT client and web socket (http.maxConnections 2,048 + the devices): the default soft
    // limit of 1,024 would refuse connections in a large house.
    'LimitNOFILE=65536',
    // Logs: pino JSON lines on stdout, the banner (dashboard URL, first-run setup code) on stderr: both in the journal.
    'StandardOutput=journal',
    'StandardError=journal',
    'SyslogIdentifier=rumah',
    'UMask=0027',
    '',
    '# Hardening (systemd.exec(5)): the hub writes only its data folder and needs no privilege.',
    'NoNewPrivileges=yes',
    'ProtectSystem=strict',
    `ReadWritePaths=${systemdWord(o.dataDir)}`,
    ...(homeHandled
      ? [
          `ProtectHome=tmpfs`,
          ...readOnly.map((p) => `BindReadOnlyPaths=${systemdWord(p)}`),
          ...(underHome(o.dataDir) ? [`BindPaths=${systemdWord(o.dataDir)}`] : []),
        ]
      : ['ProtectHome=yes']),
    // A private /tmp would hide a data folder kept in /tmp (tests, trials; it does not survive a reboot anyway).
    underTmp(o.dataDir) ? 'PrivateTmp=no' : 'PrivateTmp=yes',
    'PrivateDevices=yes',
    'ProtectKernelTunables=yes',
    'ProtectKernelModules=yes',
    'ProtectKernelLogs=yes',
    'ProtectControlGroups=yes',
    'ProtectClock=yes',
    'ProtectHostname=yes',
    'RestrictNamespaces=yes',
    'RestrictRealtime=yes',
    'RestrictSUIDSGID=yes',
    'LockPersonality=yes',
    'RemoveIPC=yes',
    'SystemCallArchitectures=native',
    // AF_NETLINK: os.networkInterfaces() (the banner's address, the TLS certificate's names) asks the kernel over it.
    'RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK',
    // No MemoryDenyWriteExecute=: V8 compiles JavaScript into executable memory at run time.
    ...(bindsLowPort
      ? ['# A port below 1024 is configured: the one capability needed to listen on it.', 'CapabilityBoundingSet=CAP_NET_BIND_SERVICE', 'AmbientCapabilities=CAP_NET_BIND_SERVICE']
      : ['CapabilityBoundingSet=', 'AmbientCapabilities=']),
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    '',
  ];
  return lines.join('\n');
}
