/**
 * The Node flags the hub runs with, wherever it is started: `npm start` (package.json's script), the systemd unit
 * (`rumah service install`) and the benchmarks' hubs. V8 sizes its heap when the process starts, so these cannot be
 * set from inside the hub (v8.setFlagsFromString changed nothing, measured): they go on the command line.
 *
 * --max-semi-space-size=32 (MiB; V8's default for a 64-bit process is 16): the broker path allocates ~8-11 KB per
 * message that dies young, so the young generation fills several times a second at a few thousand messages a
 * second, and each collection pauses every client. Twice the room means half the collections for the same survivors
 * to copy: fewer pauses in the latency tail and less GC CPU (docs/benchmarks.md, "Tails"). The space grows only
 * under that load; an idle hub's RSS is the same (measured 92 MiB against 96 MiB at 40 s, empty data folder).
 */
export const hubNodeFlags: readonly string[] = ['--max-semi-space-size=32'];
