import { ErrorCodes, RumahError } from '../core/errors.js';

/** The repositories' last line of defence (the API validates first): names are non-empty and of sane length. */
export function requireName(value: string, what: string, max = 128): void {
  if (typeof value !== 'string' || value.length === 0 || value.length > max) {
    throw new RumahError(ErrorCodes.BAD_REQUEST, `${what} must be 1 to ${max} characters`, { [what]: value });
  }
}

export function requirePassword(value: string): void {
  // Length only: the policy (minimum length...) belongs to the API, which can tell the user.
  if (typeof value !== 'string' || value.length === 0 || value.length > 1024) {
    throw new RumahError(ErrorCodes.BAD_REQUEST, 'password must be 1 to 1024 characters');
  }
}
