/**
 * Failed MQTT logins per address. From the `threshold`th failure on, the address is refused for a doubling
 * period (1 s, 2 s, 4 s ... up to 5 minutes) without its password being checked: guessing becomes slow and costs
 * the hub no scrypt work. A success clears the address.
 */
export class LoginThrottle {
  private readonly failures = new Map<string, { count: number; until: number }>();

  constructor(private readonly threshold: number, private readonly now: () => number = Date.now) {}

  blocked(address: string): boolean {
    const f = this.failures.get(address);
    return f !== undefined && f.count >= this.threshold && f.until > this.now();
  }

  failed(address: string): void {
    const f = this.failures.get(address) ?? { count: 0, until: 0 };
    f.count++;
    if (f.count >= this.threshold) f.until = this.now() + Math.min(300_000, 1000 * 2 ** (f.count - this.threshold));
    // Bounded: a scan from many addresses cannot grow this without limit.
    if (!this.failures.has(address) && this.failures.size >= 10_000) this.failures.clear();
    this.failures.set(address, f);
  }

  succeeded(address: string): void {
    this.failures.delete(address);
  }
}
