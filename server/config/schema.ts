// A namespace import: esbuild then bundles only the parts of zod in use (scripts/build-server.mjs), not its 50 locales.
import * as z from 'zod';
import { bridgesSchema } from '../bridge/config.js';
import { DEFAULT_BACKUP_SCHEDULE, validBackupSchedule } from './backup-schedule.js';

// zod compiles each object schema into a function (new Function) at its first parse: for rumah.yaml, parsed once at
// start, that cost 10 ms more than it saved (issue 19 item 6), and the hub's own rule is no eval. Process-wide: the
// other schemas (rule files, API bodies, socket payloads) are parsed by interpretation too. Set here, in the module
// every entry point loads before it parses anything.
z.config({ jitless: true });

const port = z.number().int().min(0).max(65535);

// Every limit a device can push against has a deliberate default here; docs/limits.md explains each one.
export const configSchema = z
  .object({
    dataDir: z.string().min(1),
    bind: z.string().min(1),
    log: z.object({ level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']) }).strict(),
    mqtt: z
      .object({
        port,
        allowAnonymous: z.boolean(),
        persistence: z.enum(['sqlite', 'memory']),
        /** Bytes; a larger packet is refused before it is buffered. */
        maxPacketSize: z.number().int().min(1024).max(268_435_455),
        maxTopicLevels: z.number().int().min(1).max(100),
        /** Bytes of a topic name or filter. */
        maxTopicLength: z.number().int().min(16).max(65_535),
        /**
         * Seconds; the longest keepalive a client gets (0: any). An MQTT 5 client asking for more, or for none, is told
         * this one (Server Keep Alive); a 3.1.1 client cannot be told, so the hub applies it silently (docs/mqtt5.md).
         */
        keepaliveLimit: z.number().int().min(0).max(65_535),
        /** MQTT 5: topic aliases a client may use towards the hub (0: none); advertised in CONNACK. */
        topicAliasMaximum: z.number().int().min(0).max(65_535),
        /** MQTT 5: seconds; the longest Session Expiry Interval granted (a larger one is lowered and the client told). */
        maxSessionExpiry: z.number().int().min(0).max(4_294_967_295),
        /** MQTT 5: sessions waiting to expire (and delayed wills) held at once; past it a leaving session ends at once. */
        maxExpiringSessions: z.number().int().min(1),
        /** Milliseconds a new connection has to send CONNECT. */
        connectTimeout: z.number().int().min(100),
        /** Milliseconds a client may block writes before it is dropped, so a stuck reader cannot stall others. */
        drainTimeout: z.number().int().min(0),
        /** Bytes waiting to be sent to one client before it is dropped as a reader that fell behind. */
        maxBufferedBytes: z.number().int().min(65_536),
        maxClientIdLength: z.number().int().min(23).max(65_535),
        maxInflightInbound: z.number().int().min(1),
        /** Sustained publishes per second one client may send; above it its socket is paused, not dropped. */
        publishRate: z.number().int().min(1),
        publishBurst: z.number().int().min(1),
        /**
         * Publish budget units per second of one device account, all its connections together (a unit: a publish, + 1
         * per 4 KiB of payload, + 1 per state change past the first); over it its sockets are not read (account-budget.ts).
         */
        accountPublishRate: z.number().int().min(1),
        accountPublishBurst: z.number().int().min(1),
        /** The same for an admin account (the hub's tools, bridges set up by the owner). */
        adminPublishRate: z.number().int().min(1),
        adminPublishBurst: z.number().int().min(1),
        /** The same for one remote address, all device accounts and join-window candidates there together. */
        addressPublishRate: z.number().int().min(1),
        addressPublishBurst: z.number().int().min(1),
        connectionsPerAddress: z.number().int().min(1),
        /** Failed logins from one address before it must wait (doubling, up to 5 minutes). */
        loginFailures: z.number().int().min(1),
        /** Logins waiting for their password hash (2 hash at once); more, or a wait over connectTimeout, get CONNACK 3. */
        maxPendingLogins: z.number().int().min(1),
        // Broker storage per account (docs/limits.md, server/mqtt/storage-quotas.ts); admins have no retained or
        // session quota. Retained: topic + payload bytes; over it a retained publish is refused (MQTT 5: 0x97).
        maxRetainedPerAccount: z.number().int().min(1),
        maxRetainedBytesPerAccount: z.number().int().min(1024),
        /** Persistent sessions (3.1.1 clean=false, MQTT 5 Session Expiry > 0) one account holds; one more: CONNACK 2/0x85. */
        maxSessionsPerAccount: z.number().int().min(1),
        /** Messages and bytes queued for one session; past either, the oldest queued message is dropped. */
        maxQueuedPerSession: z.number().int().min(1),
        maxQueuedBytesPerSession: z.number().int().min(1024),
        /** Bytes of QoS 2 messages awaiting PUBREL one account holds over all its connections; past it: disconnected. */
        maxInflightInboundBytesPerAccount: z.number().int().min(65_536),
      })
      .strict(),
    http: z
      .object({
        port,
        /** Connections to the web port from one address (browsers open ~6; a reverse proxy is one address for all). */
        connectionsPerAddress: z.number().int().min(1),
        /** Connections to the web port in all, so the web side cannot take the descriptors MQTT devices need. */
        maxConnections: z.number().int().min(1),
        /** Milliseconds a connection has to send a whole request head (slow-loris); Node's default is 60 s. */
        headTimeout: z.number().int().min(1000),
        /** Names the hub answers to besides its own (DNS rebinding guard, docs/limits.md): a reverse proxy's, say. */
        allowedHosts: z.array(z.string().min(1).max(253).regex(/^[A-Za-z0-9.*-]+$/, 'a DNS name')).max(100),
      })
      .strict(),
    // docs/tls.md explains each setting; relative file paths are read from the data directory.
    tls: z
      .object({
        /** MQTT over TLS on mqttPort, and HTTPS instead of HTTP on http.port. */
        enabled: z.boolean(),
        mqttPort: port,
        /** A PEM certificate (with its chain) and key to use instead of the hub's generated ones. */
        certFile: z.string().min(1).optional(),
        keyFile: z.string().min(1).optional(),
        /** Names and addresses to add to the generated certificate (a DNS name or an IP address each). */
        hostnames: z.array(z.string().min(1).max(253).regex(/^[A-Za-z0-9.:*-]+$/, 'a DNS name or an IP address')).max(100),
        /** Keep plain MQTT on mqtt.port beside MQTT over TLS (for devices that cannot do TLS). */
        plainMqtt: z.boolean(),
        /** Plain HTTP on the web port answers with a redirect to HTTPS (and serves /ca.crt); false: closed. */
        plainHttp: z.boolean(),
        /** Devices may log in with a client certificate instead of a password (MQTT over TLS only). */
        clientCertificates: z.boolean(),
        /** PEM CA(s) whose client certificates are accepted; the hub's local CA when absent. */
        clientCaFile: z.string().min(1).optional(),
      })
      .strict()
      .refine((t) => (t.certFile === undefined) === (t.keyFile === undefined), { message: 'give both certFile and keyFile, or neither (the hub then makes its own)', path: ['certFile'] }),
    devices: z
      .object({
        /** Devices one MQTT account may create; stops a misbehaving client from filling the registry. */
        maxPerAccount: z.number().int().min(1),
        /** Commands one user or API token may send a second (REST and dashboard); rules are guarded apart. */
        commandRate: z.number().positive(),
        /** Commands one user may send at once after a pause. */
        commandBurst: z.number().int().min(1),
        /** Staleness (server/core/staleness.ts): a silent device is stale after this × its median report interval, */
        staleFactor: z.number().min(1).max(100),
        /** but never before this many seconds of silence, */
        staleMinSeconds: z.number().min(0.1),
        /** and, until three intervals are known (a device seen once), after this many. */
        staleFirstSeconds: z.number().min(0.1),
      })
      .strict(),
    history: z
      .object({
        rawDays: z.number().min(0.001),
        hourlyDays: z.number().min(1),
        maxQueue: z.number().int().min(100),
      })
      .strict(),
    /** The logbook (server/logbook, docs/dashboard.md#logbook): its retention and its quotas per source. */
    logbook: z
      .object({
        /** Entries kept at most; the oldest go first. */
        maxEntries: z.number().int().min(100).max(10_000_000),
        /** Entries older than this are deleted. */
        days: z.number().min(0.001).max(3650),
        /** Entries one source (a device account, a user, a rule, logins, pairing) may hold at most. */
        maxPerSource: z.number().int().min(10).max(10_000_000),
        /** Entries one device, user or rule may add a minute, sustained (a token bucket)... */
        sourceRatePerMinute: z.number().positive().max(60_000),
        /** ...and at once after a quiet time. */
        sourceBurst: z.number().int().min(1).max(100_000),
      })
      .strict(),
    /** The MQTT-SN v1.2 UDP gateway (docs/mqttsn.md); off by default. */
    mqttsn: z
      .object({
        enabled: z.boolean(),
        port,
        /** Also listen on IPv6 (:: beside 0.0.0.0, ::1 beside 127.0.0.1). */
        ipv6: z.boolean(),
        gatewayId: z.number().int().min(0).max(255),
        /** Seconds between ADVERTISE broadcasts (§6.1, T_ADV); 0: none. */
        advertiseInterval: z.number().int().min(0).max(65_535),
        advertiseAddress: z.string().min(1),
        /** IPv6 destination of ADVERTISE, on the IPv6 socket (all-nodes ff02::1; `%iface` picks the link); '': none. */
        advertiseAddress6: z.string(),
        /** UDP port ADVERTISE is sent to; 0: the gateway's own. */
        advertisePort: port,
        /** Seconds before a message the client has not answered is sent again (§6.13 T_retry, 10-15 s). */
        retryInterval: z.number().min(0.01).max(3600),
        /** Retransmissions before the client is taken as lost (§6.13 N_retry, 3-5). */
        retries: z.number().int().min(0).max(20),
        maxClients: z.number().int().min(1),
        maxTopicsPerClient: z.number().int().min(1).max(65_534),
        /** Messages held for one client (asleep, or behind an unanswered one); past it the oldest is dropped. */
        maxQueuedPerClient: z.number().int().min(1),
        /** Datagrams per second one source address may send (burst: datagramBurst); more are dropped and counted. */
        datagramRate: z.number().positive(),
        datagramBurst: z.number().int().min(1),
        /** Source addresses counted at once (the one seen longest ago is forgotten first). */
        maxAddresses: z.number().int().min(16),
      })
      .strict(),
    // Passing the house's data to other systems (docs/exports.md); each part is off until switched on.
    exports: z
      .object({
        /** Home Assistant MQTT discovery of every device rumah knows (HA commands them through rumah). */
        homeassistant: z
          .object({
            enabled: z.boolean(),
            /** Devices of these conventions are not announced: HA already has them (they came in through its discovery). */
            skipConventions: z.array(z.string().min(1)).max(20),
          })
          .strict(),
        /** State changes to an InfluxDB-line-protocol write endpoint (InfluxDB 1.x/2.x/3, VictoriaMetrics, QuestDB). */
        influx: z
          .object({
            enabled: z.boolean(),
            /** The write URL with its query: `http://host:8086/write?db=home`, `http://host:8086/api/v2/write?org=o&bucket=b`. */
            url: z.string().url().refine((u) => /^https?:/.test(u), 'an http:// or https:// URL').optional(),
            /** The Authorization header as it is sent: `Token <token>`, `Bearer <token>`, `Basic <base64>`. */
            authorization: z.string().min(1).max(4096).optional(),
            measurement: z.string().min(1).max(200),
            batchSize: z.number().int().min(1).max(50_000),
            intervalMs: z.number().int().min(100),
            maxRetryMs: z.number().int().min(100),
            timeoutMs: z.number().int().min(100),
          })
          .strict()
          .refine((i) => !i.enabled || i.url !== undefined, { message: 'give url when enabled is true', path: ['url'] }),
        /** Device states as Prometheus gauges on /metrics beside the hub's own (labels: id, name, floor, room, property, unit). */
        prometheus: z.object({ deviceStates: z.boolean() }).strict(),
      })
      .strict(),
    /** Automatic encrypted backups into <data>/backups (docs/backup.md). */
    backup: z
      .object({
        enabled: z.boolean(),
        /** node-cron syntax (5 fields, or 6 with seconds first), in location.timezone. */
        schedule: z.string().refine(validBackupSchedule, { message: 'a cron schedule such as "30 3 * * *" (03:30 every day)' }),
        /** Automatic backups kept; older ones are deleted (manual and pre-migration ones are kept). */
        keep: z.number().int().min(1).max(1000),
      })
      .strict(),
    /**
     * Where the house is: sun triggers need latitude and longitude; timezone is the zone of cron triggers and time
     * conditions (default: the system's). Optional as a whole, so configs written before it stay valid.
     */
    location: z
      .object({
        latitude: z.number().min(-90).max(90).optional(),
        longitude: z.number().min(-180).max(180).optional(),
        timezone: z.string().refine(isTimeZone, { message: 'unknown time zone: use an IANA name such as Europe/Amsterdam or UTC' }).optional(),
      })
      .strict()
      .refine((l) => (l.latitude === undefined) === (l.longitude === undefined), { message: 'give latitude and longitude together' })
      .optional(),
    /** Outbound bridges to other brokers (docs/bridges.md "Outbound bridges"; server/bridge/config.ts). */
    bridges: bridgesSchema,
  })
  .strict();

function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

export type Config = z.infer<typeof configSchema>;

export const defaults: Config = {
  dataDir: './data',
  bind: '0.0.0.0',
  log: { level: 'info' },
  mqtt: {
    port: 1883,
    allowAnonymous: false,
    persistence: 'sqlite',
    // Zigbee2MQTT's retained bridge/devices lists every device (~5 KB each): 2 MiB holds ~400 of them.
    maxPacketSize: 2_097_152,
    maxTopicLevels: 16,
    maxTopicLength: 1024,
    keepaliveLimit: 3600,
    topicAliasMaximum: 32,
    maxSessionExpiry: 2_592_000,
    maxExpiringSessions: 100_000,
    connectTimeout: 10_000,
    drainTimeout: 30_000,
    maxBufferedBytes: 8_388_608,
    maxClientIdLength: 128,
    maxInflightInbound: 200,
    publishRate: 5000,
    publishBurst: 10_000,
    accountPublishRate: 200,
    accountPublishBurst: 2000,
    adminPublishRate: 2000,
    adminPublishBurst: 20_000,
    addressPublishRate: 1000,
    addressPublishBurst: 10_000,
    connectionsPerAddress: 1000,
    loginFailures: 5,
    maxPendingLogins: 1000,
    // A house: a device holds a few retained topics; a Zigbee2MQTT bridge with Home Assistant discovery ~5-8 per device
    // (a config per entity, its state, availability) and up to devices.maxPerAccount (500) devices: 5,000. The bytes
    // (bridge/devices alone may be 2 MiB) are what bound memory and disk.
    maxRetainedPerAccount: 5000,
    maxRetainedBytesPerAccount: 16_777_216,
    maxSessionsPerAccount: 10,
    maxQueuedPerSession: 1000,
    maxQueuedBytesPerSession: 16_777_216,
    maxInflightInboundBytesPerAccount: 16_777_216,
  },
  http: { port: 8080, connectionsPerAddress: 256, maxConnections: 2048, headTimeout: 10_000, allowedHosts: [] },
  tls: { enabled: false, mqttPort: 8883, hostnames: [], plainMqtt: true, plainHttp: true, clientCertificates: false },
  devices: { maxPerAccount: 500, commandRate: 20, commandBurst: 50,
    staleFactor: 3, staleMinSeconds: 60, staleFirstSeconds: 3600 },
  history: { rawDays: 30, hourlyDays: 730, maxQueue: 100_000 },
  logbook: { maxEntries: 100_000, days: 30, maxPerSource: 20_000, sourceRatePerMinute: 20, sourceBurst: 60 },
  mqttsn: {
    enabled: false, port: 1884, ipv6: true, gatewayId: 1, advertiseInterval: 900, advertiseAddress: '255.255.255.255', advertisePort: 0,
    advertiseAddress6: 'ff02::1',
    retryInterval: 10, retries: 3, maxClients: 10_000, maxTopicsPerClient: 1000, maxQueuedPerClient: 1000, datagramRate: 100, datagramBurst: 200, maxAddresses: 10_000,
  },
  exports: {
    homeassistant: { enabled: false, skipConventions: ['homeassistant'] },
    influx: { enabled: false, measurement: 'rumah', batchSize: 5000, intervalMs: 5000, maxRetryMs: 60_000, timeoutMs: 10_000 },
    prometheus: { deviceStates: false },
  },
  backup: { enabled: true, schedule: DEFAULT_BACKUP_SCHEDULE, keep: 7 },
  bridges: [],
};
