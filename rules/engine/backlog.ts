// Fires that found their rule at its `max` only because its runs are busy (sending, not in a delay or wait the rule
// asked for): load, not the rule's design. They wait here for a run to end instead of being skipped (issue 19:
// at saturation, fires over `mode: parallel, max: 1000` were skipped and the actuator's messages lost). Bounded for
// the whole engine; from `holdAt` on the broker holds every publishing client (FlowControl's `held`, as for the
// history writer), so devices are slowed to what the rules get through. Only sources the broker cannot hold
// (timers, webhooks, another rule's `run`) can fill it past that; a fire that finds it full is skipped, counted and
// said in its trace and the log — never silently.

export const BACKLOG_LIMITS = { max: 10_000, holdAt: 1_000 };

export class RulesBacklog {
  private size = 0;
  /** Fires that waited here, and those skipped because it was full, since start. */
  readonly counters = { waited: 0, full: 0 };

  constructor(private readonly limits: { max: number; holdAt: number } = BACKLOG_LIMITS) {}

  get length(): number {
    return this.size;
  }

  /** True while publishers must wait for the rules to catch up. */
  get behind(): boolean {
    return this.size >= this.limits.holdAt;
  }

  /** Takes a place for one fire; false (and counted) when the backlog is full. */
  enter(): boolean {
    if (this.size >= this.limits.max) {
      this.counters.full++;
      return false;
    }
    this.size++;
    this.counters.waited++;
    return true;
  }

  leave(): void {
    if (this.size > 0) this.size--;
  }

  /** Why a fire found no place (the rule's own limit is said by the caller). */
  fullReason(): string {
    return `the rules' backlog is full (${this.limits.max} fires waiting in all)`;
  }
}
