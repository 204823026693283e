import { createRequire } from 'node:module';

/**
 * Makes the `debug` loggers of dependencies free when they are off. mqtt-packet calls `debug(...)` several times per
 * packet it parses or writes (MQTT.js too, on the bridges), and debug 4's logger takes its arguments as a rest
 * array before it checks whether it is enabled: with DEBUG unset that was ~1.6 KB of garbage per QoS 0 message and
 * ~2.1 KB per QoS 1 message through the hub, 15-17% of all it allocates there (bench/tails.ts), for lines nobody
 * prints. Loggers created after this module runs are the library's own when DEBUG enables their namespace at that
 * moment, and otherwise a function that does nothing, whose other properties (namespace, extend, enabled...) are
 * the library logger's through its prototype.
 *
 * So `DEBUG=mqtt-packet:* npm start` still prints those lines; what no longer works is enabling a namespace after
 * the start (`debug.enable()` at run time), which rumah never does. It is a patch around debug's internals (the
 * exports of its entry module replaced in the CommonJS cache), so debug is a direct dependency pinned to the version
 * this was measured with. It must run before mqtt-packet and MQTT.js are loaded: the first import of the hub.
 */
const require = createRequire(import.meta.url);

type Debugger = ((...args: unknown[]) => void) & { enabled: boolean };
type CreateDebug = ((namespace: string) => Debugger) & { quiet?: true };

const entry = require.resolve('debug');
const createDebug = require('debug') as CreateDebug;

if (!createDebug.quiet) {
  const quietDebug = function quietDebug(namespace: string): Debugger {
    const logger = createDebug(namespace);
    if (logger.enabled) return logger;
    const quiet = function quiet(): void {};
    Object.setPrototypeOf(quiet, logger);
    return quiet as unknown as Debugger;
  } as CreateDebug;
  // enable(), disable(), formatters, humanize...: the library's, read through the prototype.
  Object.setPrototypeOf(quietDebug, createDebug);
  Object.defineProperty(quietDebug, 'quiet', { value: true });
  require.cache[entry]!.exports = quietDebug;
}
