import type { JSX } from 'preact';
import { formatTime } from '../model/format.js';
import type { Trace } from '../model/rules.js';

/**
 * A timeline of evaluations, newest first, including those that did not fire and why: each opens to its steps.
 * Results, reasons and step messages come from rules and payloads a user wrote: text only.
 */
export function TraceList({ traces }: { traces: Trace[] }): JSX.Element {
  if (traces.length === 0) return <p class="empty">No evaluations yet. The rule is evaluated when one of its triggers fires.</p>;
  return (
    <ol class="traces">
      {traces.map((t) => (
        <li key={t.id} class={`trace result-${t.result}`} data-result={t.result}>
          <details>
            <summary>
              <time dateTime={new Date(t.at).toISOString()}>{formatTime(t.at)}</time>{' '}
              <span class="badge">{t.result.replace(/_/g, ' ')}</span>{' '}
              {t.reason && <span class="reason">{t.reason}</span>}
              {t.trigger && <small class="trace-trigger"> · {triggerName(t.trigger)}{t.trigger.description ? `: ${t.trigger.description}` : ''}</small>}
            </summary>
            {t.cause && <p class="hint">Caused by {t.cause}</p>}
            <ol class="steps">
              {t.steps.map((s, i) => (
                <li key={i} class={s.error ? 'step error' : 'step'}>
                  <code>{s.path || s.kind}</code> {s.message}
                  {s.error && <span class="form-error"> — {s.error.code}: {s.error.message}</span>}
                </li>
              ))}
            </ol>
          </details>
        </li>
      ))}
    </ol>
  );
}

/**
 * A trigger by its place in the file, `triggers[0]`, as the steps, errors and `rules test` name it (docs/rules-api.md:
 * one numbering, from 0). Runs without a trigger of the file (run now, keep, dry run, resume) by their kind.
 */
function triggerName(t: NonNullable<Trace['trigger']>): string {
  if (t.index < 0) return t.kind;
  return `triggers[${t.index}] (${t.kind}${t.id !== undefined ? ` ${t.id}` : ''})`;
}
