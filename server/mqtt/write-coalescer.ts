/**
 * One socket write per client per event-loop turn instead of one per packet.
 *
 * mqtt-packet corks a stream for each packet and uncorks it on the next tick, and in a busy broker nearly every
 * packet is written from its own tick (each PUBACK from its publish's callbacks, each delivery from its dispatch):
 * QoS 1 fan-in cost ~2 writev syscalls per message, the largest single item in the hub's CPU profile. Here the first
 * write of a turn corks the stream once more and a single setImmediate uncorks every stream written to in that
 * turn, so what a turn produced for one client leaves in one writev. The delay is bounded by one turn of the event
 * loop (Nagle's stays off: it waited for the peer's delayed ACK, ~40 ms).
 *
 * Except past the stream's high-water mark: then what is held leaves on the next tick, and the turn goes on holding
 * what follows. A subscriber of everything gets hundreds of packets per turn, and a busy turn lasts ~10 ms; held to
 * its end, that output went out as one large writev per turn, of which the socket took ~16 KiB while the rest waited
 * for the next turn. Measured at 48,000-52,000 QoS 0 msg/s: the subscriber then received a steady ~20,000 msg/s
 * (204.8 packets of 80 bytes per turn, ten turns a second), its buffer grew to 8 MB and it was dropped as a slow
 * reader, in one step of three; with this bound, every step delivered everything at the same CPU per message.
 */
export class WriteCoalescer {
  private readonly held = new Set<Corkable>();
  /** Streams over their high-water mark whose early flush is queued for the next tick. */
  private readonly early = new Set<Corkable>();
  private scheduled = false;
  private readonly flush = (): void => {
    this.scheduled = false;
    // uncork() may write synchronously, and a write may come back to hold(): take the set first.
    const streams = [...this.held];
    this.held.clear();
    for (const s of streams) if (!s.destroyed) s.uncork();
  };

  /**
   * The wrapper of each inherited `write` (in practice net.Socket's and the WebSocket stream's, from their prototypes),
   * shared by every stream that inherits it instead of a closure per connection. A `write` of the stream's own is
   * wrapped for that stream alone (kept here, it would be kept forever).
   */
  private readonly wrappers = new Map<Corkable['write'], Corkable['write']>();

  /** Wraps `stream.write` so that writes within one turn are sent together. */
  attach(stream: Corkable): void {
    const write = stream.write;
    if (Object.hasOwn(stream, 'write')) {
      stream.write = this.wrap(write);
      return;
    }
    let wrapper = this.wrappers.get(write);
    if (wrapper === undefined) this.wrappers.set(write, (wrapper = this.wrap(write)));
    stream.write = wrapper;
  }

  private wrap(write: Corkable['write']): Corkable['write'] {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const self = this;
    return function (this: Corkable, ...args: unknown[]): boolean {
      self.hold(this);
      const ok = (write as (...a: unknown[]) => boolean).apply(this, args);
      if (this.writableLength >= this.writableHighWaterMark) self.flushSoon(this);
      return ok;
    } as Corkable['write'];
  }

  /**
   * On the next tick rather than now: mqtt-packet corks the stream for each packet and uncorks it on the next tick,
   * so an uncork here would not reach zero; queued after its own, this one does.
   */
  private flushSoon(stream: Corkable): void {
    if (this.early.has(stream)) return;
    this.early.add(stream);
    process.nextTick(() => {
      this.early.delete(stream);
      if (this.held.delete(stream) && !stream.destroyed) stream.uncork();
    });
  }

  private hold(stream: Corkable): void {
    if (this.held.has(stream)) return;
    this.held.add(stream);
    stream.cork();
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flush);
    }
  }
}

export interface Corkable {
  write: (...args: never[]) => boolean;
  cork(): void;
  uncork(): void;
  readonly destroyed: boolean;
  readonly writableLength: number;
  readonly writableHighWaterMark: number;
}
