import { spawnSync } from 'node:child_process';

// Reading a systemd unit the way systemd does, for tests: settings by key, and the words of a command line.

/** Every `Key=value` of a unit, by key, in order (a key may repeat: Environment=, BindReadOnlyPaths=). */
export function unitSettings(text: string): Map<string, string[]> {
  const settings = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    if (/^\s*([#;]|\[|$)/.test(line)) continue;
    const at = line.indexOf('=');
    const key = line.slice(0, at).trim();
    settings.set(key, [...(settings.get(key) ?? []), line.slice(at + 1).trim()]);
  }
  return settings;
}

/** The words of a setting as systemd splits them: spaces separate, double quotes group, \" and \\ escape, %% is %. */
export function unitWords(value: string): string[] {
  const words: string[] = [];
  let word = '';
  let quoted = false;
  let started = false;
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    if (quoted && c === '\\') {
      word += value[++i] ?? '';
    } else if (c === '"') {
      quoted = !quoted;
      started = true;
    } else if (c === ' ' && !quoted) {
      if (started) words.push(word);
      word = '';
      started = false;
    } else {
      word += c === '%' && value[i + 1] === '%' ? value[i++]! : c;
      started = true;
    }
  }
  if (started) words.push(word);
  return words;
}

/** `systemd-analyze verify FILE`: its complaints about this file, or why it could not be run. */
export function verifyUnit(file: string): { unavailable?: string; problems: string[] } {
  const r = spawnSync('systemd-analyze', ['verify', file], { encoding: 'utf8', timeout: 30_000 });
  if (r.error && (r.error as NodeJS.ErrnoException).code === 'ENOENT') {
    return { unavailable: 'systemd-analyze is not installed (Debian package systemd; .ci/run installs it): the unit was not verified', problems: [] };
  }
  const name = file.split('/').pop()!;
  // Its warnings about other units of the machine are not ours; a failure exit is, whatever it says.
  const problems = `${r.stdout}${r.stderr}`.split('\n').filter((l) => l.includes(name));
  if (r.status !== 0) problems.push(`systemd-analyze verify exited ${r.status}: ${r.stderr.trim()}`);
  return { problems };
}
