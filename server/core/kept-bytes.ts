/**
 * The first bytes of a payload, kept in a buffer that is reused for the next payload and decoded only when read.
 * For things recorded on every message but read rarely (a device's recent messages, the broker page's topic
 * previews): decoding each payload into a string made garbage that lived long enough to be promoted to V8's old
 * space, on the hub's hottest path. Keeping the parser's Buffer instead would pin its whole socket read chunk.
 */
export class KeptBytes {
  private bytes: Buffer;
  private length = 0;

  constructor(private readonly max: number) {
    this.bytes = Buffer.allocUnsafeSlow(64);
  }

  set(payload: Buffer): void {
    const length = Math.min(payload.length, this.max);
    // Grown in powers of two, so a payload a few bytes longer than the last one does not allocate again.
    if (this.bytes.length < length) this.bytes = Buffer.allocUnsafeSlow(Math.min(this.max, 2 ** Math.ceil(Math.log2(length))));
    payload.copy(this.bytes, 0, 0, length);
    this.length = length;
  }

  /** The kept bytes as UTF-8 text, at most `maxChars` characters. */
  text(maxChars: number): string {
    return this.bytes.toString('utf8', 0, this.length).slice(0, maxChars);
  }
}
