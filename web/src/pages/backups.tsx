import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, errorText } from '../api.js';
import { formatTime } from '../model/format.js';

interface BackupFile {
  name: string;
  size: number;
  createdAt: number;
}

interface Job {
  kind: string;
  progress?: { phase: string; done: number; total: number };
}

interface Made {
  name: string;
  size: number;
  keyId: string;
  /** Only in the answer to the first backup a person asks for (docs/backup.md). */
  key?: string;
}

/** Admins: back up now, the backups in <data>/backups to download, and the backup key the one time it is shown. */
export function BackupsPage(): JSX.Element {
  const [list, setList] = useState<BackupFile[]>([]);
  const [job, setJob] = useState<Job | null>(null);
  const [key, setKey] = useState<string | undefined>(undefined);
  const [message, setMessage] = useState<{ text: string; error?: boolean } | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const load = (): void => void api<{ backups: BackupFile[]; job: Job | null }>('GET', '/api/backups').then((r) => {
    setList(r.backups);
    setJob(r.job);
  }, (err) => setMessage({ text: errorText(err), error: true }));
  useEffect(load, []);
  useEffect(() => {
    if (!busy) return undefined;
    const timer = setInterval(() => void api<{ job: Job | null }>('GET', '/api/backups/progress').then((r) => setJob(r.job), () => undefined), 500);
    return () => clearInterval(timer);
  }, [busy]);
  const backUp = async (): Promise<void> => {
    setBusy(true);
    setMessage(undefined);
    try {
      const made = await api<Made>('POST', '/api/backups', {});
      if (made.key) setKey(made.key);
      setMessage({ text: `Backup ${made.name} written (${mib(made.size)}).` });
    } catch (err) {
      setMessage({ text: errorText(err), error: true });
    } finally {
      setBusy(false);
      setJob(null);
      load();
    }
  };
  const progress = job?.progress;
  return (
    <>
      <h1>Backups</h1>
      <p>A backup holds the whole house — devices, credentials, rules, history, users, TLS — encrypted with the backup key. The hub also makes one every night and keeps the last few. Copy them off this machine: download them here, or see <code>rumah backup</code>.</p>
      {key && (
        <section class="backup-key" aria-labelledby="backup-key-title">
          <h2 id="backup-key-title">Your backup key — shown this once</h2>
          <p><code data-testid="backup-key">{key}</code></p>
          <p>Write it down and keep it away from this machine. Without it no backup can be restored.</p>
        </section>
      )}
      <p><button type="button" onClick={() => void backUp()} disabled={busy}>Back up now</button></p>
      {busy && <p role="status">{progress ? `${progress.phase}${progress.total ? ` ${Math.floor((100 * progress.done) / progress.total)}%` : ''}` : 'Starting…'}</p>}
      {message && <p class={message.error ? 'form-error' : 'form-ok'} role={message.error ? 'alert' : 'status'}>{message.text}</p>}
      <table>
        <thead><tr><th scope="col">Backup</th><th scope="col">Made</th><th scope="col">Size</th></tr></thead>
        <tbody>
          {list.map((b) => (
            <tr key={b.name} data-backup={b.name}>
              <th scope="row"><a href={`/api/backups/${encodeURIComponent(b.name)}`} download={b.name}>{b.name}</a></th>
              <td>{formatTime(b.createdAt)}</td>
              <td>{mib(b.size)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {list.length === 0 && <p>No backups yet.</p>}
    </>
  );
}

function mib(bytes: number): string {
  return bytes < 1024 * 1024 ? `${Math.ceil(bytes / 1024)} KiB` : `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}
