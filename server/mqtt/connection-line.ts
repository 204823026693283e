/**
 * New connections wait here, in the order they came, while too many logins are being checked (issue 19 item 1: a
 * restart storm, where "the order of the waiting queue matters").
 *
 * After a power cut every device connects at once and each first login costs a scrypt. Handed to aedes as they were
 * accepted, all of them were set up at once: 10,000 devices kept the event loop busy for ~2 s (an aedes client, a
 * parser and a CONNECT read and checked per connection, and the scavenges of all of it) while the password hashes
 * waited for a core: the first 1,000 devices were online after 4.1–4.8 s where their hashes alone take ~2.3 s
 * (bench/logins.ts's restart storm with 10,000 devices, the gate's bound raised so that none was refused); on default
 * settings most were refused by the gate, retried, and the first 1,000 were online after ~8 s. Here a connection
 * beyond what the logins in progress leave room for waits as a bare socket (the TCP listener accepts paused, so not
 * even its CONNECT is read) until a login ends; so the work of a storm is spread over it, and the first to come are
 * the first checked.
 *
 * What counts is logins in progress (aedes's authenticate hook, from the CONNECT to its answer) and the connections
 * handed over in this turn of the event loop (their CONNECTs are read in the next), never connections that have sent
 * nothing: a client that opens sockets and stays silent cannot hold the line. Per turn at most `perTurn` are handed
 * over. A connection that waited `maxWaitMs` (the connect timeout) is closed unread: its device had no CONNACK in that
 * time, and retries, as after a CONNACK 3. The price: a connection in line is not read, so a device whose password
 * was verified before (which skips the login gate) waits in it like any other.
 */
interface Waiting<C> {
  conn: C;
  req: unknown;
  at: number;
}

export interface ConnectionLineOptions<C> {
  /** Gives a connection to the broker. */
  hand(conn: C, req: unknown): void;
  /** Closes a connection that waited too long. */
  drop(conn: C): void;
  /** Whether the connection is already closed (then it is skipped). */
  closed(conn: C): boolean;
  /** Logins in progress (CONNECT received, not answered) above which new connections wait. */
  window: number;
  /** Connections handed over per turn of the event loop at most. */
  perTurn: number;
  maxWaitMs: number;
  now?: () => number;
}

export class ConnectionLine<C> {
  private readonly queue: Array<Waiting<C> | undefined> = [];
  private head = 0;
  private inProgress = 0;
  private handedThisTurn = 0;
  private turnScheduled = false;
  private pumpScheduled = false;
  private expiry: NodeJS.Timeout | undefined;
  private stopped = false;
  /** Connections that waited, and of those the ones closed after `maxWaitMs` (for /metrics and tests). */
  readonly counts = { waited: 0, expired: 0 };

  constructor(private readonly opts: ConnectionLineOptions<C>) {}

  get waiting(): number {
    return this.queue.length - this.head;
  }

  arrive(conn: C, req?: unknown): void {
    // After stop nothing would take it: closed at once rather than left paused and unread.
    if (this.stopped) return this.opts.drop(conn);
    if (this.waiting === 0 && this.hasRoom()) return this.handNow(conn, req);
    this.counts.waited++;
    this.queue.push({ conn, req, at: this.now() });
    // Held by this turn's share only: the next turn takes it (a login's end may never come: silent sockets).
    if (this.inProgress < this.opts.window) this.schedulePump();
    if (this.expiry === undefined) this.armExpiry();
  }

  /** aedes's authenticate hook was called (a CONNECT arrived). */
  loginStarted(): void {
    this.inProgress++;
  }

  /** That login was answered (accepted or refused). */
  loginEnded(): void {
    this.inProgress--;
    // Not from inside the login's answer: aedes is in the middle of its CONNECT handling there.
    if (this.waiting > 0) this.schedulePump();
  }

  /** Closes every waiting connection (the broker is stopping). */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.expiry);
    while (this.waiting > 0) this.opts.drop(this.take()!.conn);
  }

  private readonly pump = (): void => {
    this.pumpScheduled = false;
    this.expire();
    while (this.waiting > 0 && this.hasRoom()) {
      const next = this.take()!;
      if (!this.opts.closed(next.conn)) this.handNow(next.conn, next.req);
    }
    // Out of this turn's share: the next turn goes on. Out of room: a login's end calls pump again.
    if (this.waiting > 0 && this.inProgress < this.opts.window) this.schedulePump();
    this.armExpiry();
  };

  private schedulePump(): void {
    if (this.pumpScheduled || this.stopped) return;
    this.pumpScheduled = true;
    setImmediate(this.pump);
  }

  private hasRoom(): boolean {
    // A connection handed this turn counts as a login until the next: its CONNECT is read then.
    return !this.stopped && this.inProgress + this.handedThisTurn < this.opts.window && this.handedThisTurn < this.opts.perTurn;
  }

  private handNow(conn: C, req: unknown): void {
    this.handedThisTurn++;
    if (!this.turnScheduled) {
      this.turnScheduled = true;
      setImmediate(() => {
        this.turnScheduled = false;
        this.handedThisTurn = 0;
      });
    }
    this.opts.hand(conn, req);
  }

  private take(): Waiting<C> | undefined {
    if (this.head >= this.queue.length) return undefined;
    const w = this.queue[this.head];
    this.queue[this.head++] = undefined;
    // Compacted once the taken part is half of it: amortised O(1) per connection.
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
    return w;
  }

  /** Closes the connections at the head that have waited `maxWaitMs` (the oldest are first). */
  private expire(): void {
    const limit = this.now() - this.opts.maxWaitMs;
    while (this.waiting > 0 && this.queue[this.head]!.at <= limit) {
      this.counts.expired++;
      this.opts.drop(this.take()!.conn);
    }
  }

  /** One timer, for the oldest waiting connection's limit. */
  private armExpiry(): void {
    clearTimeout(this.expiry);
    this.expiry = undefined;
    if (this.waiting === 0 || this.stopped) return;
    const due = this.queue[this.head]!.at + this.opts.maxWaitMs - this.now();
    this.expiry = setTimeout(this.pump, Math.max(0, due) + 1);
    this.expiry.unref();
  }

  private now(): number {
    return (this.opts.now ?? Date.now)();
  }
}
