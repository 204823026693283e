/**
 * One socket write per client per event-loop turn instead of one per packet.
 *
 * mqtt-packet corks a stream for each packet and uncorks it on the next tick, and in a busy broker nearly every
 * packet is written from its own tick (each PUBACK from its publish's callbacks, each delivery from its dispatch):
 * QoS 1 fan-in cost ~2 writev syscalls per message, the largest single item in the hub's CPU profile. Here the first
 * write of a turn corks the stream once more and a single setImmediate uncorks every stream written to in that
 * turn, so what a turn produced for one client leaves in one writev. The delay is bounded by one turn of the event
 * loop (Nagle's stays off: it waited for the peer's delayed ACK, ~40 ms).
 */
export class WriteCoalescer {
  private readonly held = new Set<Corkable>();
  private scheduled = false;
  private readonly flush = (): void => {
    this.scheduled = false;
    // uncork() may write synchronously, and a write may come back to hold(): take the set first.
    const streams = [...this.held];
    this.held.clear();
    for (const s of streams) if (!s.destroyed) s.uncork();
  };

  /** Wraps `stream.write` so that writes within one turn are sent together. */
  attach(stream: Corkable): void {
    const write = stream.write;
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const self = this;
    stream.write = function (this: Corkable, ...args: unknown[]): boolean {
      self.hold(this);
      return (write as (...a: unknown[]) => boolean).apply(this, args);
    } as Corkable['write'];
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
}
