// Rule files: validation (every error with file, line, column, path and message) and comment-keeping edits.

export { validateRuleText, idFromFile, type ValidationResult } from './validate.js';
export { formatPath, type RuleError } from './context.js';
export { updateRuleText, setRuleValue, ruleToYaml, toYamlValue } from './edit.js';
export { ruleKeyReference, type RuleKeyReference } from './reference.js';
