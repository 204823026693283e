import { Router, type Request } from 'express';
import * as z from 'zod';
import type { DryRunInput, RulesApi } from '../../api/rules.js';
import type { StateValue } from '../../core/model.js';
import { requireRole } from '../auth-middleware.js';
import { parseBody } from '../validate.js';

// Routes only translate HTTP to the rules API (docs/rules-api.md). Members read; admins change.

const json: z.ZodType<unknown> = z.unknown();
const ruleInput = z.union([
  z.strictObject({ text: z.string().max(256 * 1024), id: z.string().max(64).optional() }),
  z.strictObject({ rule: z.record(z.string(), json) }),
]);
const enabledBody = z.strictObject({ enabled: z.boolean() });
const runBody = z.strictObject({ conditions: z.boolean().optional() });
const tracesQuery = z.object({ limit: z.coerce.number().int().min(1).max(1000).optional() });
const dryBody = z.strictObject({
  text: z.string().max(256 * 1024).optional(),
  message: z.strictObject({ topic: z.string().min(1).max(65_535), payload: z.string().max(256 * 1024) }).optional(),
  state: z.strictObject({ device: z.string().min(1), property: z.string().optional(), value: json, previous: json.optional() }).optional(),
}).refine((b) => (b.message === undefined) !== (b.state === undefined), { message: "give either 'message' or 'state'" });

type Input = { text: string } | { rule: never };

function param(req: Request, name: string): string {
  return String(req.params[name]);
}

function dryInput(body: z.infer<typeof dryBody>): DryRunInput {
  return body.message ? { message: body.message } : { state: body.state as { device: string; property?: string; value: StateValue; previous?: StateValue } };
}

export function ruleRoutes(rules: RulesApi): Router {
  const router = Router();
  router.get('/', (_req, res) => void res.json({ rules: rules.list(), ...(rules.folderError() ? { folderError: rules.folderError() } : {}) }));
  router.post('/', requireRole('admin'), async (req, res) => {
    const body = parseBody(ruleInput, req.body);
    const detail = 'text' in body ? await rules.create({ text: body.text }, body.id) : await rules.create(body as Input);
    res.status(201).json(detail);
  });
  // Dry run of a rule text that is not saved: for the editor's "try it" before saving.
  router.post('/dry-run', requireRole('admin'), async (req, res) => {
    const body = parseBody(dryBody, req.body);
    if (body.text === undefined) return void res.status(400).json({ error: { code: 'RUMAH_ERR_BAD_REQUEST', message: "give the rule 'text' (or POST /api/rules/:id/dry-run)" } });
    res.json({ trace: await rules.dryRun({ text: body.text }, dryInput(body)) });
  });
  router.get('/:id', (req, res) => void res.json(rules.get(param(req, 'id'))));
  router.put('/:id', requireRole('admin'), async (req, res) => {
    const body = parseBody(ruleInput, req.body);
    res.json(await rules.update(param(req, 'id'), 'text' in body ? { text: body.text } : (body as Input)));
  });
  router.delete('/:id', requireRole('admin'), async (req, res) => {
    await rules.remove(param(req, 'id'));
    res.json({ ok: true });
  });
  router.post('/:id/enabled', requireRole('admin'), async (req, res) => {
    res.json({ status: await rules.setEnabled(param(req, 'id'), parseBody(enabledBody, req.body).enabled) });
  });
  router.post('/:id/run', requireRole('admin'), (req, res) => {
    const body = parseBody(runBody, req.body);
    res.status(202).json({ trace: rules.runNow(param(req, 'id'), { kind: 'user', id: req.principal?.username }, body.conditions ?? false) });
  });
  router.get('/:id/traces', (req, res) => {
    const q = parseBody(tracesQuery, req.query);
    res.json({ traces: rules.traces(param(req, 'id'), q.limit) });
  });
  router.get('/:id/traces/:traceId', (req, res) => void res.json({ trace: rules.trace(param(req, 'id'), param(req, 'traceId')) }));
  router.post('/:id/dry-run', requireRole('admin'), async (req, res) => {
    const body = parseBody(dryBody, req.body);
    res.json({ trace: await rules.dryRun({ id: param(req, 'id') }, dryInput(body)) });
  });
  return router;
}
