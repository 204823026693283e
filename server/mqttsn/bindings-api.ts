import { ErrorCodes, RumahError } from '../core/errors.js';
import type { Store } from '../store/index.js';
import { BindingsRepo, type Binding } from './bindings-repo.js';

export interface BindingsView {
  /** mqttsn.enabled: bindings can be made while the gateway is off; they apply once it is on. */
  enabled: boolean;
  bindings: Binding[];
}

/**
 * MQTT-SN client bindings, transport-neutral: the CLI (`rumah mqttsn …`) and the dashboard's REST routes
 * (`/api/mqttsn`, admins) call these, so both check the same things.
 */
export class MqttSnBindingsApi {
  private readonly repo: BindingsRepo;

  constructor(private readonly deps: { store: Pick<Store, 'db' | 'accounts'>; enabled: boolean }) {
    this.repo = new BindingsRepo(deps.store.db);
  }

  async list(): Promise<BindingsView> {
    return { enabled: this.deps.enabled, bindings: await this.repo.list() };
  }

  /** Binds (or re-binds) a client id to an existing, active account; addresses empty or absent: any source. */
  async bind(clientId: string, account: string, addresses?: string[]): Promise<Binding> {
    const found = await this.deps.store.accounts.get(account);
    if (!found || found.revokedAt !== undefined) throw new RumahError(ErrorCodes.NOT_FOUND, `no active MQTT account "${account}" (create it with: devices add ${account})`);
    return this.repo.bind(clientId, account, addresses?.map((a) => a.trim()).filter(Boolean));
  }

  /** The client is refused from its next CONNECT on (a connected one keeps its session until it ends). */
  async unbind(clientId: string): Promise<{ clientId: string; removed: true }> {
    if (!(await this.repo.unbind(clientId))) throw new RumahError(ErrorCodes.NOT_FOUND, `MQTT-SN client ${clientId} is not bound`);
    return { clientId, removed: true };
  }
}
