import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface FixtureMessage {
  topic: string;
  payload: unknown;
  retain?: boolean;
  note?: string;
  expect?: Record<string, unknown>;
}

/**
 * test/fixtures in the repository: message sequences of each convention. They are read from the source tree (tsc
 * compiles only .ts into dist/), never from beside the checkout: a user's clone has nothing there.
 */
export const fixturesDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../test/fixtures');

export function loadFixture(name: string): FixtureMessage[] {
  return JSON.parse(fs.readFileSync(path.join(fixturesDir, name), 'utf8')) as FixtureMessage[];
}

/** Payloads that are JSON values are sent as their JSON text. */
export function payloadText(payload: unknown): string {
  return typeof payload === 'string' ? payload : JSON.stringify(payload);
}
