/**
 * One client's normal topic ids (§6.5 REGISTER, either way): ids 1-0xFFFE (0x0000 and 0xFFFF are reserved, §5.3.11),
 * given by the gateway, at most `max` per client. Predefined ids are another name space (TopicIdType 0b01) and live
 * in the account's table, not here.
 */
export class TopicRegistry {
  private readonly byId = new Map<number, string>();
  private readonly byName = new Map<string, number>();
  private next = 1;

  constructor(private readonly max: number) {}

  /** The topic's id, registering it if new; undefined when the client already has `max` (REGACK 0x01). */
  idFor(name: string): number | undefined {
    const known = this.byName.get(name);
    if (known !== undefined) return known;
    if (this.byId.size >= this.max) return undefined;
    while (this.byId.has(this.next)) this.next = this.next >= 0xfffe ? 1 : this.next + 1;
    const id = this.next;
    this.next = this.next >= 0xfffe ? 1 : this.next + 1;
    this.byId.set(id, name);
    this.byName.set(name, id);
    return id;
  }

  /** The id if the topic is registered, without registering it. */
  peek(name: string): number | undefined {
    return this.byName.get(name);
  }

  name(id: number): string | undefined {
    return this.byId.get(id);
  }

  forget(id: number): void {
    const name = this.byId.get(id);
    if (name === undefined) return;
    this.byId.delete(id);
    this.byName.delete(name);
  }

  get size(): number {
    return this.byId.size;
  }
}
