// The contract between rumah's broker layer and aedes's internals: checked at start, loud when something moved.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Aedes } from 'aedes';
import { aedesInternals, checkAedesContract, installedAedesVersion, pinnedAedesVersion } from '../../../server/mqtt/aedes-internals.js';
import { ErrorCodes, isRumahError } from '../../../server/core/errors.js';

async function broker(): Promise<Aedes> {
  const aedes = await Aedes.createBroker();
  return aedes;
}

test('the installed aedes is the pinned one, and its internals are where rumah expects them', async (t) => {
  const aedes = await broker();
  t.after(() => new Promise<void>((resolve) => aedes.close(() => resolve())));
  assert.equal(installedAedesVersion(), pinnedAedesVersion);
  assert.doesNotThrow(() => checkAedesContract(aedes));
});

test('an internal that moved stops the start with RUMAH_ERR_AEDES_CONTRACT naming both versions and what moved', async (t) => {
  const aedes = await broker();
  t.after(() => new Promise<void>((resolve) => aedes.close(() => resolve())));
  const a = aedesInternals(aedes) as unknown as Record<string, unknown>;
  const publishWill = a.publishWill;
  a.publishWill = undefined;
  t.after(() => void (a.publishWill = publishWill));
  assert.throws(
    () => checkAedesContract(aedes),
    (err: unknown) => {
      assert.ok(isRumahError(err));
      assert.equal(err.code, ErrorCodes.AEDES_CONTRACT);
      assert.match(err.message, new RegExp(`aedes ${pinnedAedesVersion.replace(/\./g, '\\.')}`));
      assert.match(err.message, /aedes\.publishWill/);
      assert.match(err.message, /npm ci/);
      return true;
    },
  );
});

test("a client-side internal that moved is found too (checked on a client built on a stream that goes nowhere)", async (t) => {
  const aedes = await broker();
  t.after(() => new Promise<void>((resolve) => aedes.close(() => resolve())));
  const handle = aedes.handle;
  aedes.handle = ((conn: never, req: never) => {
    const client = handle.call(aedes, conn, req) as unknown as Record<string, unknown>;
    delete client.deliverQoS;
    return client;
  }) as unknown as typeof aedes.handle;
  assert.throws(() => checkAedesContract(aedes), /client\.deliver0 \/ deliverQoS/);
});
