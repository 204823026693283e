import type { JSX } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError, errorText, type User } from '../api.js';
import { KeyReference, RuleEditor } from '../components/rule-editor.js';
import type { RuleEditorHandle } from '../components/rule-editor-cm.js';
import { TraceList } from '../components/trace-list.js';
import { newRuleTemplate, type RuleError, type RuleKeyReference, type RuleStatus, type Trace } from '../model/rules.js';
import { Link, navigate } from '../router.js';
import { useLiveRules, useLiveTraces } from '../live/topics.js';

interface Detail {
  status: RuleStatus;
  text: string;
}

/**
 * One rule: the YAML file in a code editor (components/rule-editor.tsx: highlighting, completion, errors at their
 * line) that checks as you type (errors at line and column, also listed, each a button that takes the caret there),
 * the key reference one click away, save (the hub keeps the file's comments: it stores the text as written), a dry run,
 * and the timeline of evaluations.
 */
export function RulePage({ id, user }: { id: string; user: User }): JSX.Element {
  const isNew = id === 'new';
  const admin = user.role === 'admin';
  const [text, setText] = useState<string | undefined>(isNew ? newRuleTemplate : undefined);
  const [errors, setErrors] = useState<RuleError[]>([]);
  const [checked, setChecked] = useState(false);
  const [message, setMessage] = useState<{ text: string; error?: boolean } | undefined>(undefined);
  const [caret, setCaret] = useState({ line: 1, column: 1 });
  const editor = useRef<RuleEditorHandle | undefined>(undefined);
  const [reference, setReference] = useState<RuleKeyReference | undefined>(undefined);

  useEffect(() => {
    api<RuleKeyReference>('GET', '/api/rules/validate/keys').then(setReference, () => undefined);
  }, []);

  useEffect(() => {
    if (isNew) return;
    api<Detail>('GET', `/api/rules/${encodeURIComponent(id)}`).then((d) => {
      setText(d.text);
      setErrors(d.status.errors);
    }, (err) => setMessage({ text: errorText(err), error: true }));
  }, [id]);

  // Validation as you type, a quarter second after the last key.
  useEffect(() => {
    if (text === undefined) return;
    setChecked(false);
    const timer = setTimeout(() => {
      api<{ ok: boolean; errors: RuleError[] }>('POST', '/api/rules/validate', { text }).then((r) => {
        setErrors(r.errors);
        setChecked(true);
      }, () => undefined);
    }, 250);
    return () => clearTimeout(timer);
  }, [text]);

  // Live over the socket (`rules`, `ruleTraces`): the status and the timeline of evaluations as they happen.
  const liveRules = useLiveRules();
  const status = { data: liveRules.data?.find((r) => r.id === id) as RuleStatus | undefined, reload: (): void => undefined };
  const liveTraces = useLiveTraces(isNew ? undefined : id);
  const traces = { data: liveTraces.data && { traces: liveTraces.data as Trace[] }, error: liveTraces.error };

  const goTo = (e: RuleError): void => editor.current?.goTo(e.line, e.column);

  const save = async (): Promise<void> => {
    if (text === undefined) return;
    try {
      if (isNew) {
        const created = await api<Detail>('POST', '/api/rules', { text });
        navigate(`/rules/${encodeURIComponent(created.status.id)}`, true);
      } else {
        await api<Detail>('PUT', `/api/rules/${encodeURIComponent(id)}`, { text });
        status.reload();
      }
      setMessage({ text: 'Saved. The rule runs with this version now.' });
    } catch (err) {
      const details = err instanceof ApiError ? (err.details as { errors?: RuleError[] } | undefined) : undefined;
      if (details?.errors?.length) setErrors(details.errors);
      setMessage({ text: `Not saved: ${errorText(err)}`, error: true });
    }
  };

  const rule = status.data;
  return (
    <>
      <p class="crumbs"><Link href="/rules">Rules</Link> › {isNew ? 'new' : id}</p>
      <div class="page-head">
        <h1>{isNew ? 'New rule' : rule?.name ?? id}</h1>
        {rule && <span class={`badge state-${rule.state}`}>{rule.state}</span>}
      </div>
      {rule?.lastRun && <p class="meta">Last run: {rule.lastRun.result.replace(/_/g, ' ')}{rule.lastRun.reason ? ` — ${rule.lastRun.reason}` : ''}</p>}
      <section class="panel" aria-labelledby="editor-h">
        <h2 id="editor-h">Rule file</h2>
        {text === undefined ? <p>Loading…</p> : (
          <>
            <RuleEditor text={text} readOnly={!admin} admin={admin} errors={errors} reference={reference} handle={editor}
              ruleIds={liveRules.data?.map((r) => r.id) ?? []}
              onChange={setText} onCaret={(line, column) => setCaret({ line, column })} />
            <p class="hint">Line {caret.line}, column {caret.column}{admin ? ' · Ctrl-Space completes · Tab indents; Esc then Tab leaves the editor' : ' · read only: admins edit rules'}</p>
            <div id="rule-errors" aria-live="polite">
              {errors.length === 0 && checked && <p class="form-ok" data-valid="true">No errors.</p>}
              {errors.length > 0 && (
                <ul class="rule-errors">
                  {errors.map((e, i) => (
                    <li key={i} data-line={e.line} data-column={e.column}>
                      <button type="button" class="link-button" onClick={() => goTo(e)}>Line {e.line}, column {e.column}</button>
                      {e.path && <code> {e.path}</code>}: {e.message}
                    </li>
                  ))}
                </ul>
              )}
            </div>
            <KeyReference reference={reference} />
            {admin && <p><button type="submit" onClick={() => void save()}>{isNew ? 'Create rule' : 'Save'}</button></p>}
            {message && <p class={message.error ? 'form-error' : 'form-ok'} role={message.error ? 'alert' : 'status'}>{message.text}</p>}
          </>
        )}
      </section>
      {admin && text !== undefined && <DryRun text={text} />}
      {!isNew && (
        <section class="panel" aria-labelledby="traces-h">
          <h2 id="traces-h">Evaluations</h2>
          {traces.error && <p class="form-error">{traces.error}</p>}
          {traces.data && <TraceList traces={traces.data.traces} />}
        </section>
      )}
    </>
  );
}

/** What the rule in the editor (saved or not) would do with a message: nothing is published, nothing commanded. */
function DryRun({ text }: { text: string }): JSX.Element {
  const [trace, setTrace] = useState<Trace | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const run = async (e: SubmitEvent): Promise<void> => {
    e.preventDefault();
    const form = new FormData(e.currentTarget as HTMLFormElement);
    try {
      const res = await api<{ trace: Trace }>('POST', '/api/rules/dry-run', { text, message: { topic: String(form.get('topic')), payload: String(form.get('payload')) } });
      setTrace(res.trace);
      setError(undefined);
    } catch (err) {
      setError(errorText(err));
    }
  };
  return (
    <section class="panel" aria-labelledby="dry-h">
      <h2 id="dry-h">Dry run</h2>
      <form class="dry-run" onSubmit={run}>
        <label>Topic <input name="topic" required placeholder="ourhome/groundfloor/hall/motion" /></label>
        <label>Payload <input name="payload" placeholder="on" /></label>
        <button type="submit">Try</button>
      </form>
      {error && <p class="form-error" role="alert">{error}</p>}
      {trace && <TraceList traces={[trace]} />}
    </section>
  );
}
