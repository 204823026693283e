// The conformance suite aedes-persistence publishes (abstract.js), run against the SQLite
// persistence on a real file per case. The suite drives node:test itself (`t.plan`, `t.assert`)
// and, with `testAsync: true`, calls our async `setup(broker)` with a fake broker.
import { createRequire } from 'node:module';
import { after, test } from 'node:test';
import { createSqlitePersistence } from '../../../server/mqtt/persistence/sqlite-persistence.js';
import { silentLog, tempDir, type TempDir } from './persistence-fixtures.js';

const require = createRequire(import.meta.url);
const abstractSuite = require('aedes-persistence/abstract.js') as (opts: {
  test: typeof test;
  persistence: () => Promise<unknown>;
  testAsync: boolean;
}) => void;

const dirs: TempDir[] = [];
after(async () => {
  await Promise.all(dirs.map((dir) => dir.remove()));
});

abstractSuite({
  test,
  testAsync: true,
  persistence: async () => {
    const dir = await tempDir();
    dirs.push(dir);
    return createSqlitePersistence({ file: dir.file, log: silentLog });
  },
});
