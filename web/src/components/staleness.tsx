import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { StaleWindow } from '../../../server/core/model.js';
import { api, errorText } from '../api.js';
import type { ViewDevice } from '../live/store.js';

/** "45 s", "15 min", "2 h 30 min", "3 d". */
export function formatDuration(seconds: number): string {
  if (seconds < 90) return `${Math.round(seconds)} s`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 90) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return minutes % 60 ? `${hours} h ${minutes % 60} min` : `${hours} h`;
  return `${Math.round(hours / 24)} d`;
}

const why: Record<StaleWindow['source'], string> = {
  setting: 'as set here',
  expire_after: 'its expire_after',
  availability: 'it reports its own availability',
  learned: 'learned from its reports',
  first: 'its rhythm is not known yet',
};

/**
 * When this device counts as stale, and why (server/core/staleness.ts); admins can set it. Asked again when the
 * device's availability changes or the setting is saved.
 */
export function Staleness({ device, admin }: { device: ViewDevice; admin: boolean }): JSX.Element {
  const [window, setWindow] = useState<StaleWindow | undefined>(undefined);
  const [message, setMessage] = useState<{ text: string; error?: boolean } | undefined>(undefined);
  const [version, setVersion] = useState(0);
  const path = `/api/devices/${encodeURIComponent(device.id)}`;
  useEffect(() => {
    api<StaleWindow>('GET', `${path}/staleness`).then(setWindow, () => setWindow(undefined));
  }, [device.id, device.availability, device.staleAfter, version]);

  const save = async (staleAfter: number | null): Promise<void> => {
    try {
      await api('PATCH', path, { staleAfter });
      setMessage({ text: 'Saved.' });
      setVersion((v) => v + 1);
    } catch (err) {
      setMessage({ text: errorText(err), error: true });
    }
  };
  const submit = (e: SubmitEvent): void => {
    e.preventDefault();
    const form = new FormData(e.currentTarget as HTMLFormElement);
    const minutes = String(form.get('minutes') ?? '').trim();
    void save(minutes === '' ? null : Math.round(Number(minutes) * 60));
  };

  return (
    <section class="panel staleness" aria-labelledby="stale-h">
      <h2 id="stale-h">Staleness</h2>
      <p class="stale-rule" data-source={window?.source}>
        {!window ? '…' : window.seconds === null
          ? `Never shown as stale (${why[window.source]}).`
          : `Shown as stale after ${formatDuration(window.seconds)} without a report (${why[window.source]}).`}
        {window?.medianSeconds !== undefined && ` It usually reports every ${formatDuration(window.medianSeconds)}.`}
        {window?.ownConnection && ' Not while its own MQTT connection stays open.'}
      </p>
      {admin && (
        <form class="stale-form" onSubmit={submit}>
          <label>Stale after (minutes; 0: never; empty: automatic){' '}
            <input name="minutes" type="number" min={0} step="any" inputMode="decimal" defaultValue={device.staleAfter === undefined ? '' : String(device.staleAfter / 60)} />
          </label>{' '}
          <button type="submit">Set</button>{' '}
          {device.staleAfter !== undefined && <button type="button" onClick={() => void save(null)}>Automatic</button>}
        </form>
      )}
      {message && <p class={message.error ? 'form-error' : 'form-ok'} role={message.error ? 'alert' : 'status'}>{message.text}</p>}
    </section>
  );
}
