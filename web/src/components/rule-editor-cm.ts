// The rule editor's CodeMirror 6 view: YAML highlighting, completion of the rule language's keys and kinds and of
// the hub's device ids, properties and topics, and the validator's errors as lint diagnostics at their line. Loaded
// on demand by rule-editor.tsx (a chunk of its own: only the rule page pays for it).
//
// Styles: CodeMirror writes its layout rules into a <style> element; the page's CSP allows it through this load's
// nonce (server/http/routes/web.ts), read from <meta name="rumah-style-nonce">. Token colours are classes
// (classHighlighter: tok-propertyName, tok-string, tok-comment …) styled by app.css, light and dark.

import { autocompletion, closeBrackets, completionKeymap, type Completion, type CompletionContext, type CompletionResult } from '@codemirror/autocomplete';
import { defaultKeymap, history, historyKeymap, indentWithTab } from '@codemirror/commands';
import { yaml } from '@codemirror/lang-yaml';
import { indentOnInput, indentUnit, syntaxHighlighting } from '@codemirror/language';
import { lintGutter, lintKeymap, setDiagnostics, type Diagnostic } from '@codemirror/lint';
import { EditorSelection, EditorState } from '@codemirror/state';
import { drawSelection, EditorView, highlightActiveLine, highlightActiveLineGutter, keymap, lineNumbers } from '@codemirror/view';
import { classHighlighter } from '@lezer/highlight';
import type { RuleError } from '../model/rules.js';
import { caretContext } from './rule-editor-context.js';
import { completionsFor, type EditorHints } from './rule-editor-hints.js';

export interface RuleEditorOptions {
  parent: HTMLElement;
  text: string;
  readOnly: boolean;
  /** Read when completing, so devices that appear later are offered. */
  hints: () => EditorHints;
  onChange: (text: string) => void;
  onCaret: (line: number, column: number) => void;
}

export interface RuleEditorHandle {
  setErrors(errors: readonly RuleError[]): void;
  goTo(line: number, column: number): void;
  /** Replace the text (a rule loaded after the editor opened). */
  setText(text: string): void;
  destroy(): void;
}

function styleNonce(): string {
  return document.querySelector<HTMLMetaElement>('meta[name="rumah-style-nonce"]')?.content ?? '';
}

function complete(hints: () => EditorHints) {
  return (context: CompletionContext): CompletionResult | null => {
    const line = context.state.doc.lineAt(context.pos);
    const lines = context.state.doc.toString().split('\n');
    const at = caretContext(lines, line.number - 1, context.pos - line.from);
    if (!at) return null;
    const options: Completion[] = completionsFor(at, hints());
    if (options.length === 0) return null;
    const word = context.state.sliceDoc(line.from + at.from, context.pos);
    // Only on request (Ctrl-Space) or once something is typed, but at an empty value right after `key: ` too.
    if (!context.explicit && word.length === 0 && at.at === 'key') return null;
    return { from: line.from + at.from, options, validFor: /^[^\s"':#]*$/ };
  };
}

export function createRuleEditor(opts: RuleEditorOptions): RuleEditorHandle {
  const caret = (state: EditorState): void => {
    const head = state.selection.main.head;
    const line = state.doc.lineAt(head);
    opts.onCaret(line.number, head - line.from + 1);
  };
  const view = new EditorView({
    parent: opts.parent,
    state: EditorState.create({
      doc: opts.text,
      extensions: [
        EditorView.cspNonce.of(styleNonce()),
        lineNumbers(),
        highlightActiveLineGutter(),
        highlightActiveLine(),
        drawSelection(),
        history(),
        indentOnInput(),
        indentUnit.of('  '),
        EditorState.tabSize.of(2),
        closeBrackets(),
        yaml(),
        syntaxHighlighting(classHighlighter),
        autocompletion({ override: [complete(opts.hints)], activateOnTyping: true, icons: false }),
        lintGutter(),
        // Long lines wrap: on a phone the editor never scrolls sideways (issue 18 item 9).
        EditorView.lineWrapping,
        EditorState.readOnly.of(opts.readOnly),
        EditorView.contentAttributes.of({ 'aria-label': 'Rule YAML', 'aria-describedby': 'rule-errors', spellcheck: 'false', autocapitalize: 'off' }),
        keymap.of([...completionKeymap, ...lintKeymap, ...historyKeymap, indentWithTab, ...defaultKeymap]),
        EditorView.updateListener.of((u) => {
          if (u.docChanged) opts.onChange(u.state.doc.toString());
          if (u.docChanged || u.selectionSet) caret(u.state);
        }),
      ],
    }),
  });
  return {
    setErrors(errors) {
      const doc = view.state.doc;
      const diagnostics: Diagnostic[] = errors.map((e) => {
        const line = doc.line(Math.min(Math.max(1, e.line), doc.lines));
        const from = Math.min(line.from + Math.max(0, e.column - 1), line.to);
        // Underline the word at the column (a key, a value), else the rest of the line.
        const rest = doc.sliceString(from, line.to);
        const word = /^[^\s:]+/.exec(rest)?.[0].length ?? rest.length;
        return { from, to: from + word, severity: 'error', message: e.path ? `${e.path}: ${e.message}` : e.message, source: 'rumah' };
      });
      view.dispatch(setDiagnostics(view.state, diagnostics));
    },
    goTo(line, column) {
      const doc = view.state.doc;
      const l = doc.line(Math.min(Math.max(1, line), doc.lines));
      const at = Math.min(l.from + Math.max(0, column - 1), l.to);
      view.dispatch({ selection: EditorSelection.cursor(at), scrollIntoView: true });
      view.focus();
    },
    setText(text) {
      if (text === view.state.doc.toString()) return;
      view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } });
    },
    destroy: () => view.destroy(),
  };
}
