// Rules, transport-neutral: the REST routes, the dashboard's rules page and the CLI call these. Reads are for
// every user; changes for admins (the routes enforce roles). See docs/rules-api.md.

import { ErrorCodes, RumahError } from '../core/errors.js';
import type { Cause, StateValue } from '../core/model.js';
import type { RulesEngine } from '../../rules/engine/engine.js';
import type { RuleStatus } from '../../rules/engine/rule-set.js';
import type { Trace } from '../../rules/engine/trace.js';
import type { DryInput } from '../../rules/triggers/types.js';
import { ruleToYaml, updateRuleText, type RuleError } from '../../rules/schema/index.js';
import type { Rule } from '../../rules/types.js';

export interface RuleDetail {
  status: RuleStatus;
  /** The file as it is on disk, comments and all. */
  text: string;
  /** The last version that validated, in the model's form (durations in ms); absent when it never did. */
  rule?: Rule;
}

/** A rule change: the whole text, or the rule as JSON (written into the existing file keeping its comments). */
export type RuleInput = { text: string } | { rule: Rule };

export type DryRunInput =
  | { message: { topic: string; payload: string } }
  | { state: { device: string; property?: string; value: StateValue; previous?: StateValue } };

export class RulesApi {
  constructor(private readonly engine: RulesEngine) {}

  list(): RuleStatus[] {
    return this.engine.list();
  }

  /** Why the rules folder cannot be used (the hub runs without rules), or undefined. */
  folderError(): string | undefined {
    return this.engine.folderError;
  }

  get(id: string): RuleDetail {
    const found = this.engine.rules.get(id);
    if (!found) throw new RumahError(ErrorCodes.NOT_FOUND, `no rule "${id}"`);
    return found;
  }

  /** Validation errors: INVALID_VALUE (422) with details.errors: [{file, line, column, path, message}]. */
  async create(input: RuleInput, id?: string): Promise<RuleDetail> {
    const text = 'text' in input ? input.text : this.textOf(input.rule, undefined);
    const given = id ?? ('rule' in input ? input.rule.id : undefined);
    const status = await this.engine.rules.save(text, given === undefined ? { create: true } : { create: true, id: given });
    return this.get(status.id);
  }

  async update(id: string, input: RuleInput): Promise<RuleDetail> {
    const current = this.get(id);
    const text = 'text' in input ? input.text : this.textOf({ ...input.rule, id }, current.text);
    await this.engine.rules.save(text, { id, create: false });
    return this.get(id);
  }

  async remove(id: string): Promise<void> {
    await this.engine.rules.remove(id);
  }

  async setEnabled(id: string, enabled: boolean): Promise<RuleStatus> {
    return this.engine.rules.setEnabled(id, enabled);
  }

  /** Runs the actions now (conditions skipped unless asked); the trace of the run, as far as it got synchronously. */
  runNow(id: string, by: Cause, checkConditions = false): Trace {
    this.get(id);
    return this.engine.runNow(id, by, checkConditions);
  }

  traces(id: string, limit?: number): Trace[] {
    return this.engine.traces(id, limit);
  }

  trace(id: string, traceId: string): Trace {
    return this.engine.trace(id, traceId);
  }

  /** Without side effects: the trace of what the rule would do with this message or state change. */
  dryRun(ref: { id: string } | { text: string }, input: DryRunInput): Promise<Trace> {
    const dry: DryInput = 'message' in input ? { kind: 'message', ...input.message } : { kind: 'state', ...input.state };
    return this.engine.dryRun(ref, dry);
  }

  private textOf(rule: Rule, existing: string | undefined): string {
    try {
      return existing !== undefined ? updateRuleText(existing, rule) : ruleToYaml(rule);
    } catch (err) {
      if (err instanceof RumahError) throw err;
      throw new RumahError(ErrorCodes.INVALID_VALUE, `the rule could not be written as YAML: ${(err as Error).message}`, { errors: [] satisfies RuleError[] });
    }
  }
}
