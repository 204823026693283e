/** Where a backup or restore is; the CLI prints it, GET /api/backups/progress returns it. */
export interface BackupProgress {
  /** What is being done now: 'rumah.db', 'broker.db' (copied page by page), 'files', 'archive', 'encrypt'; restore: 'decrypt', 'extract', 'verify', 'apply'. */
  phase: string;
  /** Of this phase (pages or bytes); 0 of 0 when the phase has no measure. */
  done: number;
  total: number;
}

export type ProgressListener = (p: BackupProgress) => void;

/** Passes a phase's progress on at most every `everyMs` (and always its end), so a fast copy does not flood a terminal. */
export function throttled(listener: ProgressListener | undefined, everyMs = 250): ProgressListener {
  let last = 0;
  let lastPhase = '';
  return (p) => {
    if (!listener) return;
    const now = Date.now();
    if (p.phase !== lastPhase || p.done >= p.total || now - last >= everyMs) {
      last = now;
      lastPhase = p.phase;
      listener(p);
    }
  };
}
