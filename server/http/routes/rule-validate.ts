import { Router } from 'express';
import * as z from 'zod';
import { ruleKeyReference, validateRuleText } from '../../../rules/schema/index.js';
import { parseBody } from '../validate.js';

const body = z.strictObject({ text: z.string().max(256 * 1024) });

/**
 * POST /api/rules/validate {text} → {ok, errors: [{line, column, path, message}]}: the rule editor checks as you
 * type without saving anything. GET /api/rules/validate/keys → the keys the validator accepts, per place and kind
 * (rules/schema/reference.ts): the editor's completion and key reference. Pure (no rules engine involved), so every
 * logged-in user may call them.
 */
export function ruleValidateRoutes(): Router {
  const router = Router();
  const reference = ruleKeyReference();
  router.get('/keys', (_req, res) => void res.json(reference));
  router.post('/', (req, res) => {
    const { errors } = validateRuleText(parseBody(body, req.body).text, 'editor.yaml');
    res.json({ ok: errors.length === 0, errors });
  });
  return router;
}
