import { ErrorCodes, RumahError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { SettingsRepo } from '../store/settings-repo.js';
import { bridgeSchema, type BridgeConfig } from './config.js';
import type { Bridges, OutboundBridgeView } from './service.js';

/** rumah.db `settings` key holding the bridges made in the dashboard (with their passwords: see docs/bridges.md). */
const settingsKey = 'bridges.outbound';
const maxDashboardBridges = 20;

/**
 * Bridges made and edited by an admin in the dashboard (`/api/broker/bridges`). They live in rumah.db, beside the
 * accounts, and start with the hub after the rumah.yaml ones; a bridge declared in rumah.yaml is shown but not
 * changed here (the file is the owner's, and rewriting it would lose its comments). A password is write-only: a
 * save without one keeps the one stored.
 */
export class BridgesAdmin {
  constructor(private readonly deps: { bridges: Bridges; settings: SettingsRepo; yamlNames: ReadonlySet<string>; log: Logger }) {}

  /** Starts the saved bridges; one that no longer validates (a newer rumah wrote it?) is logged and skipped. */
  async load(): Promise<void> {
    for (const raw of await this.saved()) {
      const parsed = bridgeSchema.safeParse(raw);
      if (!parsed.success) {
        this.deps.log.error({ bridge: (raw as { name?: unknown })?.name, issues: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`) }, 'a bridge saved in the dashboard is not valid; not started');
        continue;
      }
      if (this.deps.yamlNames.has(parsed.data.name)) continue;
      await this.deps.bridges.set(parsed.data);
    }
  }

  list(): OutboundBridgeView[] {
    return this.deps.bridges.view();
  }

  /** Creates or replaces a dashboard bridge from a request body; every validation error at once (400). */
  async save(body: unknown): Promise<OutboundBridgeView> {
    const parsed = bridgeSchema.safeParse(body);
    if (!parsed.success) {
      throw new RumahError(ErrorCodes.BAD_REQUEST, parsed.error.issues.map((i) => `${i.path.join('.') || 'bridge'}: ${i.message}`).join('; '));
    }
    const config: BridgeConfig = { ...parsed.data };
    // Files named from the dashboard stay inside the data dir: a `cert` is sent to the remote in the TLS handshake,
    // so any path would let a dashboard session send a file of the host's to a broker of its choosing.
    for (const key of ['ca', 'cert', 'key'] as const) {
      const file = config[key];
      if (file !== undefined && (file.startsWith('/') || file.split(/[\\/]/).includes('..'))) {
        throw new RumahError(ErrorCodes.BAD_REQUEST, `${key}: a file in the data directory, named relative to it (absolute paths only in rumah.yaml)`);
      }
    }
    if (this.deps.yamlNames.has(config.name)) throw new RumahError(ErrorCodes.CONFLICT, `bridge ${config.name} is declared in rumah.yaml: change it there`);
    const saved = await this.saved();
    const previous = saved.find((b) => b.name === config.name);
    if (!previous && saved.length >= maxDashboardBridges) throw new RumahError(ErrorCodes.CONFLICT, `at most ${maxDashboardBridges} bridges can be made in the dashboard`);
    if (config.password === undefined && previous?.password !== undefined && config.username === previous.username) config.password = previous.password;
    await this.deps.settings.set(settingsKey, [...saved.filter((b) => b.name !== config.name), config]);
    await this.deps.bridges.set(config);
    return this.deps.bridges.view().find((b) => b.name === config.name)!;
  }

  async remove(name: string): Promise<void> {
    if (this.deps.yamlNames.has(name)) throw new RumahError(ErrorCodes.CONFLICT, `bridge ${name} is declared in rumah.yaml: remove it there`);
    const saved = await this.saved();
    if (!saved.some((b) => b.name === name)) throw new RumahError(ErrorCodes.NOT_FOUND, `no bridge named "${name}" made in the dashboard`);
    await this.deps.settings.set(settingsKey, saved.filter((b) => b.name !== name));
    await this.deps.bridges.remove(name);
  }

  private async saved(): Promise<BridgeConfig[]> {
    const value = await this.deps.settings.get<BridgeConfig[]>(settingsKey);
    return Array.isArray(value) ? value : [];
  }
}
