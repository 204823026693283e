import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { renderServiceUnit, type ServiceUnitOptions } from '../../../server/cli/service-unit.js';
import { hubNodeFlags } from '../../../server/node-flags.js';
import { tempDir } from '../../helpers/hub.js';
import { unitSettings, unitWords, verifyUnit } from '../../helpers/systemd.js';
import { removeWhenDone } from '../../helpers/remove-when-done.js';

const base: ServiceUnitOptions = { installDir: '/opt/rumah', nodePath: process.execPath, dataDir: '/var/lib/rumah', user: 'rumah', ports: [1883, 8080] };

test('the unit: its own user, the data folder, no restart on exit 2 or 3, a descriptor limit, hardening, logs to the journal', () => {
  const s = unitSettings(renderServiceUnit(base));
  const one = (key: string): string | undefined => s.get(key)?.at(-1);
  assert.equal(one('User'), 'rumah');
  assert.equal(one('Group'), 'rumah');
  assert.equal(one('WorkingDirectory'), '/opt/rumah');
  assert.deepEqual(unitWords(one('ExecStart')!), [process.execPath, ...hubNodeFlags, '/opt/rumah/dist/server/bundle/main.js']);
  assert.deepEqual(s.get('Environment')!.map((e) => unitWords(e)[0]), ['NODE_ENV=production', 'RUMAH_DATA=/var/lib/rumah']);
  assert.equal(one('Restart'), 'on-failure');
  assert.equal(one('RestartPreventExitStatus'), '2 3');
  assert.ok(Number(one('LimitNOFILE')) >= 65536);
  assert.equal(one('NoNewPrivileges'), 'yes');
  assert.equal(one('ProtectSystem'), 'strict');
  assert.equal(one('ReadWritePaths'), '/var/lib/rumah');
  assert.equal(one('ProtectHome'), 'yes');
  assert.equal(one('PrivateTmp'), 'yes');
  assert.equal(s.get('BindReadOnlyPaths'), undefined);
  assert.equal(one('CapabilityBoundingSet'), '', 'no capability at all for ports from 1024 up');
  assert.equal(one('AmbientCapabilities'), '');
  assert.equal(one('StandardOutput'), 'journal');
  assert.equal(s.get('MemoryDenyWriteExecute'), undefined, "V8's JIT needs writable executable memory");
  assert.equal(one('WantedBy'), 'multi-user.target');
});

test('a port below 1024 gets CAP_NET_BIND_SERVICE and nothing else', () => {
  const s = unitSettings(renderServiceUnit({ ...base, ports: [1883, 80] }));
  assert.equal(s.get('CapabilityBoundingSet')!.at(-1), 'CAP_NET_BIND_SERVICE');
  assert.equal(s.get('AmbientCapabilities')!.at(-1), 'CAP_NET_BIND_SERVICE');
  assert.equal(s.get('NoNewPrivileges')!.at(-1), 'yes');
  // Port 0 (the OS picks) is no privileged port.
  assert.equal(unitSettings(renderServiceUnit({ ...base, ports: [0, 0] })).get('CapabilityBoundingSet')!.at(-1), '');
});

test('an install under /home: home folders hidden, the install bound back read-only, the data folder writable', () => {
  const s = unitSettings(renderServiceUnit({ ...base, installDir: '/home/pi/rumah', dataDir: '/home/pi/rumah/data', nodePath: '/home/pi/.nvm/versions/node/v20.20.2/bin/node' }));
  assert.equal(s.get('ProtectHome')!.at(-1), 'tmpfs');
  assert.deepEqual(s.get('BindReadOnlyPaths'), ['/home/pi/rumah', '/home/pi/.nvm/versions/node/v20.20.2']);
  assert.deepEqual(s.get('BindPaths'), ['/home/pi/rumah/data']);
  assert.deepEqual(s.get('ReadWritePaths'), ['/home/pi/rumah/data']);
  // Data outside home, install inside: only the install is bound.
  const mixed = unitSettings(renderServiceUnit({ ...base, installDir: '/home/pi/rumah' }));
  assert.deepEqual(mixed.get('BindReadOnlyPaths'), ['/home/pi/rumah']);
  assert.equal(mixed.get('BindPaths'), undefined);
});

test('paths with spaces, quotes and % survive systemd\'s splitting and specifiers', () => {
  const odd = { ...base, installDir: '/opt/my "rumah"', dataDir: '/srv/100% home/data' };
  const s = unitSettings(renderServiceUnit(odd));
  assert.deepEqual(unitWords(s.get('ExecStart')![0]!), [process.execPath, ...hubNodeFlags, '/opt/my "rumah"/dist/server/bundle/main.js']);
  assert.equal(s.get('WorkingDirectory')![0], '/opt/my "rumah"', 'one path, taken as written');
  assert.deepEqual(unitWords(s.get('Environment')![1]!), ['RUMAH_DATA=/srv/100% home/data']);
  assert.deepEqual(unitWords(s.get('ReadWritePaths')![0]!), ['/srv/100% home/data']);
  assert.throws(() => renderServiceUnit({ ...base, dataDir: '/srv/a\nb' }), /control character/);
});

test('systemd-analyze verify accepts every variant of the unit', (t) => {
  const dir = tempDir('rumah-unit-');
  removeWhenDone(dir);
  const variants: Array<[string, ServiceUnitOptions]> = [
    ['plain', base],
    ['low port', { ...base, ports: [80, 1883] }],
    ['under home', { ...base, installDir: '/home/pi/rumah', dataDir: '/home/pi/rumah/data' }],
    ['odd paths', { ...base, installDir: '/opt/my "rumah"', dataDir: '/srv/100% home/data' }],
    ['data in /tmp', { ...base, dataDir: '/tmp/rumah-data' }],
  ];
  for (const [name, options] of variants) {
    const file = path.join(dir, 'rumah.service');
    fs.writeFileSync(file, renderServiceUnit(options));
    const verdict = verifyUnit(file);
    if (verdict.unavailable) {
      t.skip(verdict.unavailable);
      return;
    }
    assert.deepEqual(verdict.problems, [], `${name}: systemd-analyze verify complained`);
  }
});

test('the unit runs the hub with its Node flags (server/node-flags.ts; npm-start.test.ts checks npm start)', () => {
  assert.ok(hubNodeFlags.includes('--max-semi-space-size=16'));
  const execStart = unitWords(unitSettings(renderServiceUnit(base)).get('ExecStart')!.at(-1)!);
  assert.deepEqual(execStart.slice(1, -1), [...hubNodeFlags]);
});
