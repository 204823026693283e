import type * as z from 'zod';
import { ErrorCodes, RumahError } from '../core/errors.js';

/** Validates a request body or query; every problem is reported with its path. */
export function parseBody<T extends z.ZodType>(schema: T, value: unknown): z.infer<T> {
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  const problems = result.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`);
  throw new RumahError(ErrorCodes.BAD_REQUEST, `invalid request: ${problems.join('; ')}`, problems);
}
