/**
 * The Node flags the hub runs with, wherever it is started: `npm start` (package.json's script), the systemd unit
 * (`rumah service install`) and the benchmarks' hubs. V8 sizes its heap when the process starts, so these cannot be
 * set from inside the hub (v8.setFlagsFromString changed nothing, measured): they go on the command line.
 *
 * --max-semi-space-size=16 (MiB; V8's usual default for a 64-bit process, set so that it does not change with the
 * machine or the Node version). A young-generation collection pauses every client while it copies what is still alive.
 * Under rules that is much more than on the broker path alone (the rule runs' traces stay ~0.5 s in their rings, but
 * keeping them smaller did not shrink it: docs/benchmarks.md, eighteenth session): 100 rules at 5,000 msg/s paused ~6
 * ms every ~340 ms with 32 MiB (the hub's flag until 2026-12-07), ~3.9 ms with 16 and ~1.9 ms with 8, for about the
 * same GC time, and the rules' p99 (bench/rules-nodered.ts, each run's median) read 14-31 ms with 32 (5 runs), 4.6-5.2
 * ms with 16 (2) and 4.6-14 ms with 8 (5). The broker path alone keeps little alive and prefers a larger space: its
 * QoS 1 p99 at 5,000 msg/s (medians of 12 alternating rounds) read 2.5-3.6 ms with 32, 3.4-7.2 ms with 16 and 4.6-5.5
 * ms with 8. 16 is the trade: rule reactions are what a house feels (docs/benchmarks.md, seventeenth session). The
 * space grows only under load.
 */
export const hubNodeFlags: readonly string[] = ['--max-semi-space-size=16'];
