// One catalogue of coded errors. A code is stable (tests, API clients and the dashboard match on it);
// the message says what happened and, where it can, what to do next.

export const ErrorCodes = {
  CONFIG_INVALID: 'RUMAH_ERR_CONFIG_INVALID',
  DATA_DIR_UNWRITABLE: 'RUMAH_ERR_DATA_DIR_UNWRITABLE',
  /** Another hub runs on the same data folder. */
  DATA_DIR_IN_USE: 'RUMAH_ERR_DATA_DIR_IN_USE',
  DB_OPEN: 'RUMAH_ERR_DB_OPEN',
  DB_WRITE: 'RUMAH_ERR_DB_WRITE',
  LISTEN: 'RUMAH_ERR_LISTEN',
  NOT_FOUND: 'RUMAH_ERR_NOT_FOUND',
  BAD_REQUEST: 'RUMAH_ERR_BAD_REQUEST',
  UNAUTHORIZED: 'RUMAH_ERR_UNAUTHORIZED',
  FORBIDDEN: 'RUMAH_ERR_FORBIDDEN',
  CONFLICT: 'RUMAH_ERR_CONFLICT',
  DEVICE_DISABLED: 'RUMAH_ERR_DEVICE_DISABLED',
  NOT_SETTABLE: 'RUMAH_ERR_NOT_SETTABLE',
  INVALID_VALUE: 'RUMAH_ERR_INVALID_VALUE',
  RATE_LIMITED: 'RUMAH_ERR_RATE_LIMITED',
  DEVICE_LIMIT: 'RUMAH_ERR_DEVICE_LIMIT',
  /** A TLS certificate or key that cannot be used: missing, expired, not yet valid, or not matching each other. */
  TLS_CERT: 'RUMAH_ERR_TLS_CERT',
  /** The installed aedes is not the one rumah's broker layer was written against (server/mqtt/aedes-internals.ts). */
  AEDES_CONTRACT: 'RUMAH_ERR_AEDES_CONTRACT',
  /** The disk holding the data folder is full: nothing is damaged, the same start works once there is room. */
  DISK_FULL: 'RUMAH_ERR_DISK_FULL',
  /** A backup file that is damaged, cut short or not a backup (server/backup): nothing was changed. */
  BACKUP_INVALID: 'RUMAH_ERR_BACKUP_INVALID',
  /** A backup made by a newer rumah (schema versions this one does not know): nothing was changed. */
  BACKUP_TOO_NEW: 'RUMAH_ERR_BACKUP_TOO_NEW',
  /** The key given does not open this backup. */
  BACKUP_KEY: 'RUMAH_ERR_BACKUP_KEY',
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

const httpStatus: Partial<Record<ErrorCode, number>> = {
  RUMAH_ERR_NOT_FOUND: 404,
  RUMAH_ERR_BAD_REQUEST: 400,
  RUMAH_ERR_UNAUTHORIZED: 401,
  RUMAH_ERR_FORBIDDEN: 403,
  RUMAH_ERR_CONFLICT: 409,
  RUMAH_ERR_DEVICE_DISABLED: 409,
  RUMAH_ERR_NOT_SETTABLE: 422,
  RUMAH_ERR_INVALID_VALUE: 422,
  RUMAH_ERR_RATE_LIMITED: 429,
  RUMAH_ERR_DEVICE_LIMIT: 409,
  RUMAH_ERR_DISK_FULL: 507,
  RUMAH_ERR_BACKUP_INVALID: 422,
  RUMAH_ERR_BACKUP_TOO_NEW: 422,
  RUMAH_ERR_BACKUP_KEY: 422,
};

export class RumahError extends Error {
  readonly code: ErrorCode;
  readonly details?: unknown;
  constructor(code: ErrorCode, message: string, details?: unknown) {
    super(message);
    this.name = 'RumahError';
    this.code = code;
    this.details = details;
  }
  get status(): number {
    return httpStatus[this.code] ?? 500;
  }
}

export function isRumahError(err: unknown): err is RumahError {
  return err instanceof RumahError;
}

/** A caller's value, cut short, for an error message: a 20 KB value must not come back as a 20 KB message. */
export function excerpt(value: unknown, max = 60): string {
  let text: string;
  try {
    text = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  } catch {
    text = Array.isArray(value) ? 'an array' : typeof value;
  }
  return JSON.stringify(text.length > max ? `${text.slice(0, max)}…` : text);
}
