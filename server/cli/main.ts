#!/usr/bin/env node
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createLogger } from '../core/logger.js';
import { isRumahError } from '../core/errors.js';
import { openStore, type Store } from '../store/index.js';
import { commands, type CliCommand } from './commands.js';
import { backupBeforeMigration } from '../backup/before-migration.js';

const usage = `usage: npm run rumah -- <command> [--data DIR] [--json]

commands:
${commands.map((c) => `  ${c.usage.padEnd(34)} ${c.help}`).join('\n')}
`;

/** Administers a hub's data directory; works whether or not the hub is running (SQLite WAL allows both). */
async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: { data: { type: 'string' }, json: { type: 'boolean' }, role: { type: 'string' }, scope: { type: 'string' }, for: { type: 'string' }, close: { type: 'boolean' }, out: { type: 'string' }, days: { type: 'string' }, user: { type: 'string' }, output: { type: 'string' }, key: { type: 'string' }, from: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    });
  } catch (err) {
    process.stderr.write(`rumah: ${(err as Error).message}\n${usage}`);
    return 2;
  }
  const words = parsed.positionals;
  const command: CliCommand | undefined = commands.find((c) => c.words.every((w, i) => words[i] === w));
  if (parsed.values.help || !command) {
    process.stderr.write(words.length && !parsed.values.help ? `rumah: unknown command "${words.join(' ')}"\n${usage}` : usage);
    return parsed.values.help ? 0 : 2;
  }
  const args = words.slice(command.words.length);
  if (args.length < command.args) {
    process.stderr.write(`rumah: usage: npm run rumah -- ${command.usage}\n`);
    return 2;
  }
  const dataDir = path.resolve(parsed.values.data ?? process.env.RUMAH_DATA ?? './data');
  let store: Store | undefined;
  try {
    // Data an older rumah wrote is backed up before openStore migrates it; a newer rumah's is refused.
    if (command.store !== false) await backupBeforeMigration(dataDir, createLogger('warn', process.stderr));
    if (command.store !== false) store = await openStore(dataDir, createLogger('warn', process.stderr), {});
    // Commands that declare store: false never read ctx.store.
    const out = await command.run({ store: store as Store, args, dataDir, role: parsed.values.role, scope: parsed.values.scope, seconds: parsed.values.for, close: parsed.values.close, out: parsed.values.out, days: parsed.values.days, user: parsed.values.user, output: parsed.values.output, key: parsed.values.key, from: parsed.values.from });
    process.stdout.write(parsed.values.json ? JSON.stringify(out.json) + '\n' : out.text + '\n');
    return out.exitCode ?? 0;
  } catch (err) {
    process.stderr.write(`rumah: ${isRumahError(err) ? err.message : (err as Error).stack}\n`);
    return 1;
  } finally {
    await store?.close();
  }
}

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
