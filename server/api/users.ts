import { ErrorCodes, RumahError } from '../core/errors.js';
import type { Store } from '../store/index.js';
import type { User, UserRole } from '../store/users-repo.js';
import type { AuthApi } from './auth.js';
import { checkPassword } from './auth.js';

export interface UsersApiDeps {
  store: Store;
  auth: AuthApi;
  /** Called when a user's sessions must end now (deleted, demoted): the live sockets close. */
  sessionsEnded?: (username: string) => void;
}

/**
 * Dashboard users, transport-neutral. Admins administer (users, rules, pairing); members see and control devices.
 * The hub always keeps at least one admin: the last one cannot be deleted or demoted, or no one could add another.
 */
export class UsersApi {
  constructor(private readonly deps: UsersApiDeps) {}

  /** First run: no user yet, so the dashboard shows the setup page (the one-time code creates the admin). */
  async setupRequired(): Promise<boolean> {
    return (await this.deps.store.users.count()) === 0;
  }

  list(): Promise<User[]> {
    return this.deps.store.users.list();
  }

  async create(username: string, password: string, role: UserRole): Promise<User> {
    checkPassword(password);
    const user = await this.deps.store.users.create(username, password, role);
    return user;
  }

  async setRole(username: string, role: UserRole, by: string): Promise<User> {
    const user = await this.existing(username);
    if (user.role === role) return user;
    if (user.role === 'admin') await this.keepAnAdmin(username, by, 'demote');
    await this.deps.store.users.setRole(username, role);
    this.deps.sessionsEnded?.(username);
    return { ...user, role };
  }

  async setPassword(username: string, password: string): Promise<void> {
    checkPassword(password);
    await this.deps.store.users.setPassword(username, password);
    // A new password ends every session that the old one opened.
    await this.deps.store.sessions.removeForUser(username);
    this.deps.sessionsEnded?.(username);
  }

  async remove(username: string, by: string): Promise<void> {
    const user = await this.existing(username);
    if (user.role === 'admin') await this.keepAnAdmin(username, by, 'delete');
    await this.deps.store.users.remove(username);
    this.deps.sessionsEnded?.(username);
  }

  private async existing(username: string): Promise<User> {
    const user = await this.deps.store.users.get(username);
    if (!user) throw new RumahError(ErrorCodes.NOT_FOUND, `no user "${username}"`);
    return user;
  }

  private async keepAnAdmin(username: string, by: string, what: 'delete' | 'demote'): Promise<void> {
    if (username === by) throw new RumahError(ErrorCodes.CONFLICT, `you cannot ${what} yourself; ask another admin`);
    const admins = (await this.deps.store.users.list()).filter((u) => u.role === 'admin');
    if (admins.length <= 1) throw new RumahError(ErrorCodes.CONFLICT, `cannot ${what} the last admin`);
  }
}
