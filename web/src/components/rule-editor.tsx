import type { JSX } from 'preact';
import type { RefObject } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { api } from '../api.js';
import { useLive } from '../live/hooks.js';
import type { RuleError, RuleKeyReference } from '../model/rules.js';
import type { RuleEditorHandle } from './rule-editor-cm.js';
import type { EditorHints } from './rule-editor-hints.js';

/** The hub's topics (admins: the broker page's list), loaded once per editor. */
interface BrokerView {
  topics: Array<{ topic: string }>;
}

/**
 * The rule file in a code editor (CodeMirror 6, loaded on demand as its own chunk): YAML highlighting, completion
 * of keys, kinds, device ids, properties and topics, and the validator's errors at their line. `handle` lets the
 * page move the caret (its error list) once the editor is there.
 */
export function RuleEditor(props: {
  text: string;
  readOnly: boolean;
  admin: boolean;
  errors: readonly RuleError[];
  reference: RuleKeyReference | undefined;
  /** The rules' ids (the page has them live), for `run` actions. */
  ruleIds: readonly string[];
  onChange: (text: string) => void;
  onCaret: (line: number, column: number) => void;
  handle: RefObject<RuleEditorHandle | undefined>;
}): JSX.Element {
  const host = useRef<HTMLDivElement>(null);
  const [failed, setFailed] = useState<string | undefined>(undefined);
  const [ready, setReady] = useState(false);
  const { store } = useLive();
  // The editor reads the latest of these when it completes; it is created once.
  const latest = useRef(props);
  latest.current = props;
  const topics = useRef<string[]>([]);

  useEffect(() => {
    // Once per editor: the topics seen so far are plenty for completing (admins only, as the broker page).
    if (props.admin) api<BrokerView>('GET', '/api/broker').then((b) => (topics.current = b.topics.map((t) => t.topic)), () => undefined);
  }, []);

  useEffect(() => {
    let handle: RuleEditorHandle | undefined;
    let cancelled = false;
    const hints = (): EditorHints => ({
      reference: latest.current.reference,
      devices: store.all().map((d) => ({
        id: d.id, name: d.name, topic: d.topic, ...(d.commandTopic ? { commandTopic: d.commandTopic } : {}),
        properties: [...new Set([...d.capabilities.map((c) => c.property), ...Object.keys(d.state)])],
      })),
      topics: topics.current,
      rules: [...latest.current.ruleIds],
    });
    import('./rule-editor-cm.js').then((cm) => {
      if (cancelled || !host.current) return;
      handle = cm.createRuleEditor({
        parent: host.current, text: props.text, readOnly: props.readOnly, hints,
        onChange: (text) => latest.current.onChange(text),
        onCaret: (line, column) => latest.current.onCaret(line, column),
      });
      handle.setErrors(latest.current.errors);
      props.handle.current = handle;
      setReady(true);
    }, (err: unknown) => setFailed(err instanceof Error ? err.message : String(err)));
    return () => {
      cancelled = true;
      handle?.destroy();
      props.handle.current = undefined;
    };
  }, []);

  useEffect(() => props.handle.current?.setErrors(props.errors), [props.errors, ready]);

  return (
    <div class="rule-editor" data-ready={ready ? 'true' : 'false'}>
      <div ref={host} class="rule-editor-host" />
      {!ready && !failed && <p class="hint">Loading the editor…</p>}
      {failed && <p class="form-error" role="alert">The editor did not load ({failed}): reload the page.</p>}
    </div>
  );
}

/** Every key a rule file may use, per place and kind, from the validator's own tables: one click from the editor. */
export function KeyReference({ reference }: { reference: RuleKeyReference | undefined }): JSX.Element {
  const section = (title: string, kinds: Record<string, string[]>, kindKey: string): JSX.Element => (
    <section>
      <h3>{title}</h3>
      <dl>
        {Object.entries(kinds).map(([kind, keys]) => (
          <div key={kind} data-kind={`${kindKey}:${kind}`}>
            <dt><code>{kindKey}: {kind}</code></dt>
            <dd>{keys.filter((k) => k !== kindKey).map((k) => <code key={k}>{k}</code>)}</dd>
          </div>
        ))}
      </dl>
    </section>
  );
  return (
    <details class="key-reference">
      <summary>Key reference</summary>
      {!reference ? <p>Loading…</p> : (
        <div class="key-reference-body">
          <section>
            <h3>Rule</h3>
            <p>{reference.rule.map((k) => <code key={k}>{k}</code>)}</p>
          </section>
          {section('Triggers', reference.triggers, 'trigger')}
          {section('Conditions', reference.conditions, 'condition')}
          {section('Actions', reference.actions, 'action')}
          <section>
            <h3>Keep</h3>
            <p>{reference.keep.map((k) => <code key={k}>{k}</code>)} · each state: {reference.keepState.map((k) => <code key={k}>{k}</code>)}</p>
          </section>
          <p class="hint">A condition may also be an expression on its own line. Press Ctrl-Space in the editor for the keys and values that fit where the caret is; the full language is in rules/README.md.</p>
        </div>
      )}
    </details>
  );
}
