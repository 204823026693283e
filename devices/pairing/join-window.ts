/**
 * The join window (Zigbee2MQTT's permit_join): closed by default; while open, unknown MQTT clients may connect
 * and become candidates for the admin to accept or reject.
 */
export class JoinWindow {
  private closesAt = 0;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly onChange: (open: boolean, seconds: number) => void,
    private readonly now: () => number = Date.now,
  ) {}

  get isOpen(): boolean {
    return this.closesAt > this.now();
  }

  /** Seconds left, 0 when closed. */
  get remaining(): number {
    return Math.max(0, Math.ceil((this.closesAt - this.now()) / 1000));
  }

  open(seconds: number): void {
    clearTimeout(this.timer);
    this.closesAt = this.now() + seconds * 1000;
    this.timer = setTimeout(() => this.close(), seconds * 1000);
    this.timer.unref();
    this.onChange(true, seconds);
  }

  close(): void {
    const wasOpen = this.closesAt > 0;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.closesAt = 0;
    if (wasOpen) this.onChange(false, 0);
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
