import type { AuthenticateError, Client } from 'aedes';
import type { Config } from '../config/schema.js';
import type { HashSlot } from '../auth/passwords.js';
import type { Logger } from '../core/logger.js';
import { peerCertificate } from '../tls/client-auth.js';
import type { MqttAuthenticator, MqttIdentity } from './identity.js';
import { hashesAtOnce, LoginBusy, LoginGate } from './login-gate.js';
import { LoginThrottle } from './login-throttle.js';
import { authorizeWill } from './wills.js';
import { ConnectionLine } from './connection-line.js';

/** A new connection as the listeners hand it over (TCP or TLS socket, WebSocket stream). */
export interface NewConnection {
  destroyed: boolean;
  destroy(): void;
}

export interface MqttLoginDeps {
  config: Config['mqtt'];
  log: Logger;
  auth: MqttAuthenticator;
  counters: { refusedLogins: number; throttledLogins: number };
  /** Who each logged-in client is: set here, read by the broker's ACL hooks. */
  identities: WeakMap<Client, MqttIdentity>;
  /** Why this client may not have this will (a topic it could not publish on itself), or undefined. */
  willRefused(identity: MqttIdentity, topic: string, clientId: string): string | undefined;
  /** Last word on a checked login: why this identity may not take this client id (client-id-owner.ts). */
  admit?(client: Client, identity: MqttIdentity): Promise<{ returnCode: 2; why: string } | undefined>;
  /** Gives a connection its turn at the broker (connection-line.ts). */
  hand(conn: NewConnection, req: unknown): void;
}

/**
 * Logins in progress above which new connections wait in line (connection-line.ts): ~0.3 s of password hashes on 2
 * cores. Not tied to mqtt.maxPendingLogins: a waiting connection is not read, so a device whose password was
 * verified before (which skips the gate) waits in line like any other; with the line engaged only past a few hundred
 * logins at once, a flood of wrong passwords smaller than that (or from one address, which the throttle stops) does
 * not hold such a device up, and the gate refuses what is past its own bound with CONNACK 3 as before.
 */
const loginWindow = 256;
/** Connections handed to aedes per turn of the event loop while some wait. */
const handedPerTurn = 64;

/**
 * aedes's authenticate hook: anonymous and certificate logins, the per-address throttle, the bounded gate of password
 * checks (login-gate.ts), and the CONNACK return code of each refusal. One login's whole decision, in one place.
 */
export class MqttLogin {
  /** Logins being checked at once, and how long one may wait; shared with the dashboard's login (api/auth.ts). */
  readonly gate: LoginGate;
  /** New connections, in order, while many logins are in progress (a restart storm). */
  readonly line: ConnectionLine<NewConnection>;
  private readonly throttle: LoginThrottle;

  constructor(private readonly deps: MqttLoginDeps) {
    this.throttle = new LoginThrottle(deps.config.loginFailures);
    this.gate = new LoginGate({ concurrency: hashesAtOnce, maxQueued: deps.config.maxPendingLogins, timeoutMs: deps.config.connectTimeout });
    this.line = new ConnectionLine<NewConnection>({
      hand: deps.hand, drop: (conn) => conn.destroy(), closed: (conn) => conn.destroyed,
      window: loginWindow, perTurn: handedPerTurn, maxWaitMs: deps.config.connectTimeout,
    });
  }

  authenticate(client: Client, username: string | undefined, password: Buffer | undefined, answer: (err: AuthenticateError | null, ok: boolean | null) => void): void {
    this.line.loginStarted();
    const done = (err: AuthenticateError | null, ok: boolean | null): void => {
      this.line.loginEnded();
      answer(err, ok);
    };
    forgetConnect(client);
    const address = remoteAddress(client);
    const refuse = (returnCode: 4 | 5, why: string): void => {
      this.deps.counters.refusedLogins++;
      this.deps.log.info({ clientId: client.id, username, address, why }, 'MQTT login refused');
      const err = new Error(why) as AuthenticateError;
      err.returnCode = returnCode;
      done(err, false);
    };
    const cert = peerCertificate(client.conn);
    const certificateNames = cert && !cert.error && cert.names.length ? cert.names : undefined;
    if (cert?.error) this.deps.log.info({ clientId: client.id, address, names: cert.names, error: cert.error }, 'client certificate not trusted; ignored');
    if ((username === undefined || username === '') && !certificateNames) {
      if (!this.deps.config.allowAnonymous) return refuse(5, cert?.error ? `client certificate not trusted (${cert.error}) and no username` : 'anonymous clients are not allowed');
      this.deps.identities.set(client, { username: '', kind: 'anonymous' });
      return done(null, true);
    }
    // Brute force: after repeated failures from one address, refuse at once without checking (no scrypt work).
    if (this.throttle.blocked(address)) {
      this.deps.counters.throttledLogins++;
      return refuse(5, 'too many failed logins from this address; wait and retry');
    }
    const secret = password?.toString('utf8') ?? '';
    const auth = this.deps.auth;
    // Only the hash waits in the gate (identity.ts, hashSlot): reading the account's row before and after it holds no
    // slot, so the 2 slots hash without pause; measured in a restart storm, the slots were 22% of their time not
    // hashing (the row read, the hops through a busy event loop) when the whole check held one.
    // The throttle is asked again when the hash starts, not only when the login arrives: 1,000 wrong passwords sent
    // at once from one address all arrived before the first had failed, and 248–372 of them were checked (scrypt
    // each) where the promise is 5. Queued behind the gate, the rest are now refused at their turn, without work.
    const hashSlot: HashSlot = (work) => this.gate.run(() => (this.throttle.blocked(address) ? Promise.reject(new LoginThrottled()) : work()));
    const check = async (): Promise<MqttIdentity | undefined> =>
      (username && secret && (await auth.verifiedBefore?.(username, secret))) ||
      auth.authenticate(username ?? '', secret, { clientId: client.id, address, certificateNames, hashSlot });
    check().then(
      (identity) => {
        if (!identity) {
          this.throttle.failed(address);
          if (certificateNames && secret === '') return refuse(5, `the client certificate (${certificateNames.join(', ')}) names no active MQTT account`);
          return refuse(4, 'bad username or password');
        }
        this.throttle.succeeded(address);
        return (this.deps.admit?.(client, identity) ?? Promise.resolve(undefined)).then((refusal) => {
          // Counted and logged where it was decided; not a failed password, so not throttled.
          if (refusal) {
            const err = new Error(refusal.why) as AuthenticateError;
            err.returnCode = refusal.returnCode;
            return done(err, false);
          }
          this.deps.identities.set(client, identity);
          authorizeWill(client, identity, (topic) => this.deps.willRefused(identity, topic, client.id), this.deps.log);
          done(null, true);
        }, (err: Error) => {
          this.deps.log.error({ err, clientId: client.id }, 'MQTT login: client id check failed');
          const e = new Error('server unavailable') as AuthenticateError;
          e.returnCode = 3;
          done(e, false);
        });
      },
      (err: Error) => {
        if (err instanceof LoginThrottled) {
          this.deps.counters.throttledLogins++;
          return refuse(5, 'too many failed logins from this address; wait and retry');
        }
        if (err instanceof LoginBusy) {
          this.deps.log.info({ clientId: client.id, username, address, why: err.message }, 'MQTT login not checked: too many in progress; refused as server unavailable');
          const e = new Error('server busy') as AuthenticateError;
          e.returnCode = 3;
          return done(e, false);
        }
        this.deps.log.error({ err }, 'MQTT authentication failed');
        const e = new Error('server unavailable') as AuthenticateError;
        e.returnCode = 3;
        done(e, false);
      },
    );
  }

  stop(): void {
    this.gate.stop();
    this.line.stop();
  }
}

/** What mqtt-packet's parser reads in its `settings` after the CONNECT: one frozen object per kind, shared. */
const parserSettings = new Map<string, Readonly<{ protocolVersion: number; bridgeMode?: boolean }>>();

/**
 * mqtt-packet's parser keeps the CONNECT it parsed as its `settings` for the whole connection, and reads only two of
 * its fields there (protocolVersion, bridgeMode: parser.js): the CONNECT packet, its strings and its password Buffer
 * were kept per idle connection (~450 bytes), the password a secret kept in memory for no use. aedes hands the
 * password to this hook as an argument and keeps what else it needs of the CONNECT itself (client.js, connect.js), so
 * the parser is given a shared object with those two fields instead.
 */
function forgetConnect(client: Client): void {
  const parser = (client as unknown as { _parser?: { settings?: { cmd?: string; protocolVersion?: number; bridgeMode?: boolean } } })._parser;
  const settings = parser?.settings;
  if (settings?.cmd !== 'connect' || typeof settings.protocolVersion !== 'number') return;
  const bridgeMode = settings.bridgeMode === true;
  const key = `${settings.protocolVersion}${bridgeMode ? 'b' : ''}`;
  let shared = parserSettings.get(key);
  if (shared === undefined) {
    shared = Object.freeze(bridgeMode ? { protocolVersion: settings.protocolVersion, bridgeMode } : { protocolVersion: settings.protocolVersion });
    parserSettings.set(key, shared);
  }
  parser!.settings = shared;
}

/** The login's address was throttled while it waited for its hash to start: refused without the hash. */
class LoginThrottled extends Error {
  override readonly name = 'LoginThrottled';
}

function remoteAddress(client: Client): string {
  const conn = client.conn as { remoteAddress?: string; socket?: { remoteAddress?: string } };
  const req = (client as unknown as { req?: { socket?: { remoteAddress?: string } } }).req;
  return conn.remoteAddress ?? req?.socket?.remoteAddress ?? conn.socket?.remoteAddress ?? '?';
}
