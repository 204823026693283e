import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { api } from '../api.js';

/**
 * First run, the other way in: "restore a backup" (docs/backup.md). The backup file is sent as it is (no form
 * encoding), with the setup code and the backup key as headers; the hub checks it whole, then restarts onto it,
 * and this page waits for it to come back and sends the admin to the login page.
 */
export function RestoreBackup(): JSX.Element {
  const [status, setStatus] = useState<string | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const submit = async (e: SubmitEvent): Promise<void> => {
    e.preventDefault();
    const form = new FormData(e.currentTarget as HTMLFormElement);
    const file = form.get('backup');
    if (!(file instanceof File) || file.size === 0) return setError('choose a backup file (.rumahbackup)');
    setBusy(true);
    setError(undefined);
    try {
      await upload(file, String(form.get('code') ?? '').trim(), String(form.get('key') ?? ''), setStatus);
      setStatus('Restored. The hub is restarting onto your backup…');
      await waitForHub();
      window.location.assign('/login');
    } catch (err) {
      setStatus(undefined);
      setError((err as Error).message);
      setBusy(false);
    }
  };
  return (
    <section aria-labelledby="restore-title">
      <h2 id="restore-title">Or restore a backup</h2>
      <p>Moving house, or starting again after a failure? A backup made by <code>rumah backup</code> or the automatic backups brings back every device, credential, rule, history and user; you then log in as before.</p>
      <form class="stack" onSubmit={submit}>
        <label>First-start code <small>(the same one-time code, from the hub's console)</small> <input name="code" required autocomplete="one-time-code" spellcheck={false} /></label>
        <label>Backup file <input name="backup" type="file" accept=".rumahbackup" required /></label>
        <label>Backup key <small>(13 groups of 4, printed at the first backup)</small> <input name="key" required spellcheck={false} autocomplete="off" /></label>
        {status && <p role="status">{status}</p>}
        {error && <p class="form-error" role="alert">{error}</p>}
        <button type="submit" disabled={busy}>Restore the backup</button>
      </form>
    </section>
  );
}

/** XMLHttpRequest rather than fetch: it reports upload progress, and a house's history can be large. */
function upload(file: File, code: string, key: string, progress: (text: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', '/api/setup/restore');
    xhr.setRequestHeader('content-type', 'application/octet-stream');
    xhr.setRequestHeader('x-setup-code', code);
    xhr.setRequestHeader('x-backup-key', key);
    xhr.upload.onprogress = (e) => progress(e.lengthComputable ? `Uploading… ${Math.floor((100 * e.loaded) / e.total)}%` : 'Uploading…');
    // Once uploaded, the hub decrypts and checks it: its progress (GET /api/setup/restore/progress) until it answers.
    let poll: ReturnType<typeof setInterval> | undefined;
    xhr.upload.onload = () => {
      progress('Checking the backup…');
      poll = setInterval(() => {
        void fetch('/api/setup/restore/progress', { headers: { 'x-setup-code': code } }).then((r) => r.json() as Promise<{ job?: { progress?: { phase: string; done: number; total: number } } | null }>).then((r) => {
          const p = r.job?.progress;
          if (p && p.phase !== 'upload') progress(`Checking the backup… ${p.phase}${p.total ? ` ${Math.floor((100 * p.done) / p.total)}%` : ''}`);
        }, () => undefined);
      }, 500);
    };
    xhr.onloadend = () => clearInterval(poll);
    xhr.onerror = () => reject(new Error('the upload failed: is the hub still running?'));
    xhr.onload = () => {
      if (xhr.status < 300) return resolve();
      let message = `the hub answered ${xhr.status}`;
      try {
        message = (JSON.parse(xhr.responseText) as { error: { message: string } }).error.message;
      } catch {
        /* not JSON */
      }
      reject(new Error(message));
    };
    xhr.send(file);
  });
}

/** Until the restarted hub answers and no longer asks for setup (the restored house has its admin). */
async function waitForHub(): Promise<void> {
  for (let i = 0; i < 120; i++) {
    await new Promise((r) => setTimeout(r, 500));
    try {
      if (!(await api<{ setupRequired: boolean }>('GET', '/api/auth/status')).setupRequired) return;
    } catch {
      /* restarting */
    }
  }
  throw new Error('the hub did not come back within a minute: see its log');
}
