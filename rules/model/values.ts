// The kinds of value rule files hold beside plain JSON: durations, expressions and templates.

import type { StateValue } from '../../server/core/model.js';

/** Milliseconds. Written in files as `30s`, `5m`, `1h30m`, `00:05:00` or seconds (see duration.ts). */
export type Duration = number;

/**
 * Text in the expression language (rules/expressions): `count('ourhome/+/+/light', 'on') > 3`.
 * A `{{ ... }}` wrapper, as Home Assistant users write it, is accepted.
 */
export type ExpressionText = string;

/** A string that may hold `{{ expression }}` parts; rendered when the action runs. */
export type TemplateText = string;

/**
 * A value to send: any JSON value whose strings are templates. A string that is exactly one `{{ expr }}` becomes
 * the expression's value (a number stays a number), so `{count: "{{ count('...') }}"}` sends `{"count": 3}`.
 */
export type TemplateValue = StateValue;
