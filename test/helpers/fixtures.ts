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

/** ../shared/fixtures beside the checkout (CI clones with shared/ beside it). */
export const fixturesDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../shared/fixtures');

export function loadFixture(name: string): FixtureMessage[] {
  return JSON.parse(fs.readFileSync(path.join(fixturesDir, name), 'utf8')) as FixtureMessage[];
}

/** Payloads that are JSON values are sent as their JSON text. */
export function payloadText(payload: unknown): string {
  return typeof payload === 'string' ? payload : JSON.stringify(payload);
}
