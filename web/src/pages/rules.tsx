import type { JSX } from 'preact';
import { api, errorText, type User } from '../api.js';
import { Ago } from '../components/time.js';
import type { RuleStatus } from '../model/rules.js';
import { useLiveRules } from '../live/topics.js';
import { Link } from '../router.js';
import { useState } from 'preact/hooks';

/** Every rule with its switch, state and last run, live over the socket (`rules`: statuses as they change). */
export function RulesPage({ user }: { user: User }): JSX.Element {
  const live = useLiveRules();
  const data = live.data && { rules: live.data as RuleStatus[] };
  const error = live.error;
  const [actionError, setActionError] = useState<string | undefined>(undefined);
  const admin = user.role === 'admin';
  const setEnabled = async (rule: RuleStatus, enabled: boolean): Promise<void> => {
    try {
      await api('POST', `/api/rules/${encodeURIComponent(rule.id)}/enabled`, { enabled });
      setActionError(undefined);
    } catch (err) {
      setActionError(errorText(err));
    }
  };
  return (
    <>
      <div class="page-head">
        <h1>Rules</h1>
        {admin && <Link href="/rules/new" class="button-link">New rule</Link>}
      </div>
      {(error || actionError) && <p class="form-error" role="alert">{error ?? actionError}</p>}
      {!data && !error && <p>Loading…</p>}
      {data && data.rules.length === 0 && <p class="empty">No rules yet.</p>}
      {data && data.rules.length > 0 && (
        <table class="rules">
          <thead><tr><th scope="col">Rule</th><th scope="col">Enabled</th><th scope="col">State</th><th scope="col">Last run</th></tr></thead>
          <tbody>
            {data.rules.map((r) => (
              <tr key={r.id} data-rule-id={r.id} data-state={r.state}>
                <th scope="row"><Link href={`/rules/${encodeURIComponent(r.id)}`}>{r.name}</Link><small>{r.id}</small></th>
                <td>
                  <button type="button" role="switch" class="switch" aria-checked={r.enabled} aria-label={`${r.name}: enabled`} disabled={!admin}
                    onClick={() => void setEnabled(r, !r.enabled)}><span class="switch-knob" aria-hidden="true" /></button>
                </td>
                <td>
                  <span class={`badge state-${r.state}`}>{r.state}</span>
                  {r.errors.length > 0 && <small class="form-error"> {r.errors.length} error{r.errors.length > 1 ? 's' : ''}{r.runningPrevious ? ' (previous version runs)' : ''}</small>}
                  {r.stopped && <small class="form-error"> {r.stopped.reason}</small>}
                </td>
                <td>{r.lastRun ? <><Ago ts={r.lastRun.at} /> · <span class="badge">{r.lastRun.result.replace(/_/g, ' ')}</span>{r.lastRun.reason && <small> {r.lastRun.reason}</small>}</> : 'never'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
