import fs from 'node:fs';
import path from 'node:path';

export interface FileWatchOptions {
  files: string[];
  onChange: () => void;
  /** Events within this many ms are one change: a renewal writes the certificate and the key one after another. */
  debounceMs?: number;
  /** A slow poll as well, for file systems that deliver no events (NFS, some container bind mounts). */
  pollMs?: number;
}

/**
 * Calls `onChange` soon after any of `files` changes. Watches the folders, not the files: tools replace a
 * certificate by renaming a new file over it (certbot swaps symlinks), and a watch on the old file would go quiet.
 * The callback decides whether the content really changed; spurious calls are harmless.
 */
export function watchFiles(opts: FileWatchOptions): () => void {
  const debounceMs = opts.debounceMs ?? 300;
  const names = new Map<string, Set<string>>();
  for (const file of opts.files) {
    const dir = path.dirname(file);
    if (!names.has(dir)) names.set(dir, new Set());
    names.get(dir)!.add(path.basename(file));
  }
  let timer: NodeJS.Timeout | undefined;
  const fire = (): void => {
    clearTimeout(timer);
    timer = setTimeout(opts.onChange, debounceMs);
    timer.unref();
  };
  const watchers: fs.FSWatcher[] = [];
  for (const [dir, files] of names) {
    try {
      const watcher = fs.watch(dir, { persistent: false }, (_event, name) => {
        if (name === null || files.has(name.toString())) fire();
      });
      watcher.on('error', () => watcher.close()); // the folder went away; the poll still covers it
      watchers.push(watcher);
    } catch {
      /* no events here (a missing folder, no inotify): the poll covers it */
    }
  }
  const poll = setInterval(opts.onChange, opts.pollMs ?? 60_000);
  poll.unref();
  return () => {
    clearTimeout(timer);
    clearInterval(poll);
    for (const w of watchers) w.close();
  };
}
