import * as z from 'zod';
import { filterError } from '../mqtt/topics.js';

// Outbound bridges (docs/bridges.md "Outbound bridges"): rumah connects out to another broker and passes messages
// both ways by topic rules, as mosquitto's `connection` / `topic` lines do.

/**
 * One topic rule, mosquitto's `topic <pattern> [out|in|both [qos [<local prefix> <remote prefix>]]]`: the local topic
 * is `local + t`, the remote one `remote + t`, for every `t` the pattern matches. Written either as that one line
 * (prefixes `""` for none, as in mosquitto.conf) or as an object.
 */
export interface TopicRule {
  pattern: string;
  direction: 'out' | 'in' | 'both';
  qos: 0 | 1 | 2;
  local: string;
  remote: string;
}

const direction = z.enum(['out', 'in', 'both']);
const qos = z.union([z.literal(0), z.literal(1), z.literal(2)]);

/** `sensors/# both 1 home/ site1/` → a TopicRule; a message naming what is wrong otherwise. */
export function parseRuleLine(line: string): TopicRule | string {
  const words = line.trim().split(/\s+/).map((w) => (w === '""' ? '' : w));
  if (words.length === 0 || words.length > 5 || words.length === 4) return 'a rule is "<pattern> [out|in|both [qos [<local prefix> <remote prefix>]]]"';
  const [pattern, dir = 'out', q = '0', local = '', remote = ''] = words as [string, ...string[]];
  if (!direction.safeParse(dir).success) return `direction "${dir}": out, in or both`;
  if (!['0', '1', '2'].includes(q)) return `qos "${q}": 0, 1 or 2`;
  return { pattern, direction: dir as TopicRule['direction'], qos: Number(q) as TopicRule['qos'], local, remote };
}

const ruleObject = z
  .object({ pattern: z.string(), direction: direction.default('out'), qos: qos.default(0), local: z.string().default(''), remote: z.string().default('') })
  .strict();

const rule = z
  .union([z.string().min(1), ruleObject])
  .transform((value, ctx): TopicRule => {
    const parsed = typeof value === 'string' ? parseRuleLine(value) : value;
    if (typeof parsed === 'string') {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: parsed });
      return z.NEVER;
    }
    return parsed;
  })
  .superRefine((r, ctx) => {
    // The pattern may be empty only when a prefix is the whole topic (mosquitto allows `topic "" out 0 a/b c/d`).
    const local = r.local + r.pattern;
    const remote = r.remote + r.pattern;
    for (const [name, filter] of [['local', local], ['remote', remote]] as const) {
      const err = filter === '' ? 'empty topic' : filterError(filter);
      if (err) ctx.addIssue({ code: z.ZodIssueCode.custom, message: `${name} topic "${filter}": ${err}` });
    }
    // A remote message is published into the hub on a local topic: never one of the broker's own ($SYS/...).
    if (local.startsWith('$')) ctx.addIssue({ code: z.ZodIssueCode.custom, message: `local topic "${local}": $ topics belong to the broker` });
    for (const [name, prefix] of [['local', r.local], ['remote', r.remote]] as const) {
      if (/[#+]/.test(prefix)) ctx.addIssue({ code: z.ZodIssueCode.custom, message: `${name} prefix "${prefix}": no wildcards in a prefix` });
    }
  });

const fileName = z.string().min(1);

export const bridgeSchema = z
  .object({
    /** Names the bridge in logs, metrics, the queue table and the dashboard. */
    name: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, _ and -, at most 64'),
    /** mqtt://, mqtts:// (TLS), ws:// or wss:// (MQTT over WebSocket, the path included). */
    url: z.string().refine((u) => /^(mqtts?|wss?):\/\/[^/\s]+/.test(u), { message: 'an mqtt://, mqtts://, ws:// or wss:// URL' }),
    /** 4: MQTT 3.1.1 (connects with the bridge bit, mosquitto's try_private); 5: MQTT 5 (No Local subscriptions). */
    protocolVersion: z.union([z.literal(4), z.literal(5)]).default(4),
    /** Default `rumah-<name>`. */
    clientId: z.string().min(1).max(128).optional(),
    username: z.string().min(1).optional(),
    /** Kept in rumah.yaml, which should be mode 0600 (docs/bridges.md); never shown on the dashboard. */
    password: z.string().optional(),
    /** false: the remote keeps this bridge's session (its `in` subscriptions queue while rumah is away). */
    cleanSession: z.boolean().default(true),
    keepalive: z.number().int().min(5).max(65_535).default(60),
    /** TLS: a PEM CA file to trust instead of the system's; a client certificate and key (relative: to the data dir). */
    ca: fileName.optional(),
    cert: fileName.optional(),
    key: fileName.optional(),
    rejectUnauthorized: z.boolean().default(true),
    /** true: this bridge being down makes /healthz answer 503; false (default): reported there, the hub stays ok. */
    required: z.boolean().default(false),
    topics: z.array(rule).min(1).max(100),
    /** The durable QoS 1/2 out-queue (rumah.db); past either bound the oldest waiting message is dropped and counted. */
    /** QoS 1/2 messages sent and not yet acknowledged; an MQTT 5 remote's Receive Maximum lowers it. */
    maxInflight: z.number().int().min(1).max(65_535).default(100),
    maxQueuedMessages: z.number().int().min(1).default(10_000),
    maxQueuedBytes: z.number().int().min(1024).default(64 * 1024 * 1024),
  })
  .strict()
  .refine((b) => (b.cert === undefined) === (b.key === undefined), { message: 'give both cert and key, or neither', path: ['cert'] });

export type BridgeConfig = z.output<typeof bridgeSchema>;

export const bridgesSchema = z
  .array(bridgeSchema)
  .max(20)
  .refine((list) => new Set(list.map((b) => b.name)).size === list.length, { message: 'bridge names must be unique' });

/** A bridge URL may carry `user:password@`: never shown, and not part of what the remote is. */
export function withoutCredentials(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//');
}
