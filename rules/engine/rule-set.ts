// The loaded rules, one entry per file: the text as it is now, its errors, and the version that runs. A file that
// stops validating keeps its previous version running (reported with every error and its position); a file that
// validates replaces it. Files are the truth: the API writes a file and then loads it, the watcher loads what
// editors write, and both go through apply().

import { isMap, parseDocument } from 'yaml';
import { ErrorCodes, RumahError } from '../../server/core/errors.js';
import type { Logger } from '../../server/core/logger.js';
import { idFromFile, setRuleValue, validateRuleText, type RuleError } from '../schema/index.js';
import type { Rule, RuleMode } from '../types.js';
import { deleteRuleFile, positionOf, readRuleFile, writeRuleFile } from './rule-files.js';
import { RuleRuntime, type RuntimeDeps } from './runtime.js';
import type { TraceRecorder } from './trace.js';

export interface RuleStatus {
  id: string;
  file: string;
  name: string;
  description?: string;
  enabled: boolean;
  mode?: RuleMode;
  /** running; disabled (enabled: false); error (the file does not load and no version runs). */
  state: 'running' | 'disabled' | 'error';
  /** Problems of the file as it is now, each with file, line, column, path and message. */
  errors: RuleError[];
  /** The file is broken and the last version that loaded keeps running. */
  runningPrevious: boolean;
  /** Triggers that cannot work as configured (a sun trigger without a location). */
  problems: string[];
  /** Runs the flood guard dropped, per source (guards.ts): absent when none was. */
  floodDropped?: Record<string, number>;
  activeRuns: number;
  queuedRuns: number;
  pendingTimers: number;
  lastTriggeredAt?: number;
  lastRun?: { traceId: string; at: number; result: string; reason?: string };
  counters?: RuleRuntime['counters'];
}

interface Entry {
  file: string;
  text?: string;
  errors: RuleError[];
  /** The last version of the file that validated (enabled or not). */
  rule?: Rule;
  runtime?: RuleRuntime;
}

export interface RuleSetDeps {
  dir?: string;
  log: Logger;
  recorder: TraceRecorder;
  runtimeDeps: RuntimeDeps;
  pendingTimers(ruleId: string): number;
  /** A rule is gone (deleted, disabled, renamed): its timers, cron rows and (when deleted) traces go too. */
  forget(ruleId: string, deleted: boolean): Promise<void>;
  /** After a reload: durable waits the new version did not take. */
  reloaded(ruleId: string): void;
}

export class RuleSet {
  private readonly entries = new Map<string, Entry>();
  private readonly byId = new Map<string, Entry>();
  /** Told after every load, edit, enable or removal: the dashboard's live rules list (server/realtime/rule-events.ts). */
  private readonly watchers = new Set<() => void>();

  constructor(private readonly deps: RuleSetDeps) {}

  /** Calls `fn` after each change of a rule file (loaded, saved, enabled, removed); returns the unsubscribe. */
  watch(fn: () => void): () => void {
    this.watchers.add(fn);
    return () => void this.watchers.delete(fn);
  }

  get size(): number {
    return this.entries.size;
  }

  runtimes(): RuleRuntime[] {
    return [...this.entries.values()].flatMap((e) => (e.runtime ? [e.runtime] : []));
  }

  /** Loads a file's text (undefined: the file is gone). */
  async apply(file: string, text: string | undefined): Promise<void> {
    try {
      await this.applyText(file, text);
    } finally {
      for (const fn of this.watchers) fn();
    }
  }

  private async applyText(file: string, text: string | undefined): Promise<void> {
    let entry = this.entries.get(file);
    if (text === undefined) {
      if (!entry) return;
      this.entries.delete(file);
      await this.retire(entry, true);
      return;
    }
    if (entry && entry.text === text) return;
    if (!entry) this.entries.set(file, (entry = { file, errors: [] }));
    entry.text = text;
    const result = validateRuleText(text, file);
    const errors = result.rule ? this.conflicts(entry, result.rule, text) : result.errors;
    if (errors.length) {
      entry.errors = errors;
      for (const e of errors) this.deps.log.warn({ file: e.file, line: e.line, column: e.column, path: e.path }, `rule file error: ${e.message}`);
      if (entry.runtime) this.deps.log.warn({ file }, 'the previous version of the rule keeps running until the file is fixed');
      return;
    }
    entry.errors = [];
    await this.swap(entry, result.rule!);
  }

  /**
   * A file that cannot be read (permissions, an I/O error) is reported like a broken one, with what to do: the other
   * rules start, and its previous version, if one runs, keeps running.
   */
  unreadable(file: string, err: NodeJS.ErrnoException): void {
    let entry = this.entries.get(file);
    if (!entry) this.entries.set(file, (entry = { file, errors: [] }));
    entry.text = undefined;
    const why = err.code === 'EACCES' || err.code === 'EPERM' ? `${err.code}: the hub's user may not read it; fix its owner or mode (chmod 644)` : `${err.code ?? 'error'}: ${err.message}`;
    entry.errors = [{ file, line: 1, column: 1, path: '', message: `the file cannot be read (${why})` }];
    this.deps.log.warn({ file, err: err.code ?? err.message }, 'rule file cannot be read; the other rules run');
  }

  /** The rule with this id (by its running or parsed id, else its file name). */
  find(id: string): Entry | undefined {
    // The last entry found for an id, checked before use (an entry's id follows its file, rule and runtime, which
    // change on reload): the logbook asks for a rule's name at every run it records, with 1,000 rules loaded.
    const known = this.byId.get(id);
    if (known && this.entries.get(known.file) === known && idOf(known) === id) return known;
    for (const e of this.entries.values()) {
      if (idOf(e) !== id) continue;
      if (this.byId.size >= MAX_ID_CACHE) this.byId.clear();
      this.byId.set(id, e);
      return e;
    }
    return undefined;
  }

  /** The rule's display name (its id when it has none), without building its status. */
  name(id: string): string | undefined {
    const e = this.find(id);
    return e && (e.runtime?.rule ?? e.rule)?.name;
  }

  runtime(id: string): RuleRuntime | undefined {
    return this.find(id)?.runtime;
  }

  list(): RuleStatus[] {
    return [...this.entries.values()].map((e) => this.status(e)).sort((a, b) => a.id.localeCompare(b.id));
  }

  get(id: string): { status: RuleStatus; text: string; rule?: Rule } | undefined {
    const e = this.find(id);
    return e ? { status: this.status(e), text: e.text ?? '', ...(e.rule ? { rule: e.rule } : {}) } : undefined;
  }

  /** Creates (no `id` yet) or replaces a rule's file. Invalid text is refused with every error (nothing written). */
  async save(text: string, opts: { id?: string; create: boolean }): Promise<RuleStatus> {
    const dir = this.requireDir();
    const existing = opts.id === undefined ? undefined : this.find(opts.id);
    if (!opts.create && !existing) throw new RumahError(ErrorCodes.NOT_FOUND, `no rule "${opts.id}"`);
    const id = opts.id ?? parseId(text);
    if (!id) throw invalid([{ file: 'new rule', line: 1, column: 1, path: 'id', message: "a new rule needs an 'id' (lowercase letters, digits, - and _): in the text, or as the request's id" }]);
    if (!/^[a-z0-9][a-z0-9_-]{0,63}$/.test(id)) throw invalid([{ file: 'new rule', line: 1, column: 1, path: 'id', message: `invalid rule id ${JSON.stringify(id)}: use lowercase letters, digits, - and _ (at most 64)` }]);
    const file = existing?.file ?? `${id}.yaml`;
    if (opts.create && (existing || readRuleFile(dir, file) !== undefined)) throw new RumahError(ErrorCodes.CONFLICT, `a rule "${id}" exists already (${file})`);
    const result = validateRuleText(text, file);
    const errors = result.rule ? this.conflicts(existing ?? { file, errors: [] }, result.rule, text) : result.errors;
    if (result.rule && result.rule.id !== id) {
      const at = positionOf(text, ['id']);
      errors.push({ file, ...at, path: 'id', message: `the id cannot change from "${id}" to "${result.rule.id}": create a new rule and delete this one` });
    }
    if (errors.length) throw invalid(errors);
    writeRuleFile(dir, file, text);
    await this.apply(file, text);
    return this.status(this.entries.get(file)!);
  }

  async remove(id: string): Promise<void> {
    const e = this.find(id);
    if (!e) throw new RumahError(ErrorCodes.NOT_FOUND, `no rule "${id}"`);
    deleteRuleFile(this.requireDir(), e.file);
    await this.apply(e.file, undefined);
  }

  /** Edits `enabled` in the file (comments and layout kept). */
  async setEnabled(id: string, enabled: boolean): Promise<RuleStatus> {
    const e = this.find(id);
    if (!e?.text) throw new RumahError(ErrorCodes.NOT_FOUND, `no rule "${id}"`);
    const written = enabled && !/^enabled\s*:/m.test(e.text) ? e.text : setRuleValue(e.text, ['enabled'], enabled);
    if (written !== e.text) {
      writeRuleFile(this.requireDir(), e.file, written);
      await this.apply(e.file, written);
    }
    return this.status(e);
  }

  async stopAll(): Promise<void> {
    for (const e of this.entries.values()) e.runtime?.stop('hub-stop');
  }

  private async swap(entry: Entry, rule: Rule): Promise<void> {
    const old = entry.runtime;
    entry.rule = rule;
    entry.runtime = undefined;
    const same = old !== undefined && old.rule.id === rule.id && rule.enabled;
    if (old) {
      old.stop(same ? 'reload' : 'disable');
      if (!same) await this.deps.forget(old.rule.id, false);
    }
    if (!rule.enabled) return;
    const runtime = new RuleRuntime(rule, this.deps.runtimeDeps);
    entry.runtime = runtime;
    runtime.start();
    if (old) this.deps.reloaded(rule.id);
    this.deps.log.info({ rule: rule.id, file: entry.file }, old ? 'rule reloaded' : 'rule loaded');
  }

  private async retire(entry: Entry, deleted: boolean): Promise<void> {
    entry.runtime?.stop('disable');
    const id = idOf(entry);
    if (entry.rule || entry.runtime) await this.deps.forget(id, deleted);
    this.deps.recorder.forget(id);
    this.deps.log.info({ rule: id, file: entry.file }, 'rule removed');
  }

  /** Another file already has this id: reported at the id (or the top of the file when the id is the file name). */
  private conflicts(entry: Entry, rule: Rule, text: string): RuleError[] {
    for (const other of this.entries.values()) {
      if (other === entry || other.file === entry.file || idOf(other) !== rule.id) continue;
      const at = /^id\s*:/m.test(text) ? positionOf(text, ['id']) : { line: 1, column: 1 };
      return [{ file: entry.file, ...at, path: 'id', message: `the rule id "${rule.id}" is already used by ${other.file}` }];
    }
    return [];
  }

  private status(e: Entry): RuleStatus {
    const id = idOf(e);
    const rule = e.runtime?.rule ?? e.rule;
    const rt = e.runtime;
    const last = this.deps.recorder.lastRun(id);
    const state: RuleStatus['state'] = rt ? 'running' : rule && !rule.enabled ? 'disabled' : 'error';
    const dropped = rt?.droppedBySource ?? {};
    return {
      id, file: e.file, name: rule?.name ?? id, ...(rule?.description ? { description: rule.description } : {}),
      enabled: rule?.enabled ?? false, ...(rule ? { mode: rule.mode } : {}), state,
      errors: e.errors, runningPrevious: e.errors.length > 0 && rt !== undefined, problems: rt?.problems ?? [],
      ...(Object.keys(dropped).length > 0 ? { floodDropped: dropped } : {}),
      activeRuns: rt?.activeRuns ?? 0, queuedRuns: rt?.queuedRuns ?? 0, pendingTimers: this.deps.pendingTimers(id),
      ...(rt?.lastTriggeredAt !== undefined ? { lastTriggeredAt: rt.lastTriggeredAt } : {}),
      ...(last ? { lastRun: { traceId: last.id, at: last.at, result: last.result, ...(last.reason ? { reason: last.reason } : {}) } } : {}),
      ...(rt ? { counters: { ...rt.counters } } : {}),
    };
  }

  private requireDir(): string {
    if (!this.deps.dir) throw new RumahError(ErrorCodes.CONFLICT, 'this engine has no rules folder');
    return this.deps.dir;
  }
}

const MAX_ID_CACHE = 10_000;

function idOf(e: Entry): string {
  return e.runtime?.rule.id ?? e.rule?.id ?? idFromFile(e.file) ?? e.file;
}

/** The id written in a text that may not validate yet (to name its file). */
function parseId(text: string): string | undefined {
  try {
    const doc = parseDocument(text);
    const id: unknown = isMap(doc.contents) ? doc.get('id') : undefined;
    return typeof id === 'string' ? id : undefined;
  } catch {
    return undefined;
  }
}

function invalid(errors: RuleError[]): RumahError {
  const first = errors.slice(0, 3).map((e) => `${e.file}:${e.line}:${e.column}${e.path ? ` ${e.path}` : ''}: ${e.message}`).join('; ');
  return new RumahError(ErrorCodes.INVALID_VALUE, `the rule has ${errors.length} error${errors.length === 1 ? '' : 's'}: ${first}${errors.length > 3 ? '; …' : ''}`, { errors });
}
