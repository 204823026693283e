import type { ComponentChildren, JSX } from 'preact';
import type { User } from '../api.js';
import type { LiveStatus } from '../live/connection.js';
import { Link, usePath } from '../router.js';
import { Bell } from './bell.js';

export interface LayoutProps {
  user: User;
  status: LiveStatus;
  onLogout: () => void;
  children: ComponentChildren;
}

const statusText: Record<LiveStatus, string> = {
  connecting: 'Connecting…',
  live: 'Live',
  reconnecting: 'Connection lost, reconnecting…',
  unauthorized: 'Logged out',
  closed: 'Closed',
};

/** The frame of every logged-in page: a skip link, the navigation, the connection state, the page. */
export function Layout({ user, status, onLogout, children }: LayoutProps): JSX.Element {
  const path = usePath();
  const links: Array<[string, string]> = [['/', 'Home'], ['/devices', 'Devices'], ['/logbook', 'Logbook'], ['/rules', 'Rules']];
  if (user.role === 'admin') links.push(['/pairing', 'Pairing'], ['/broker', 'Broker'], ['/users', 'Users'], ['/backups', 'Backups']);
  return (
    <>
      <a class="skip" href="#main">Skip to content</a>
      <header class="top">
        <Link href="/" class="brand">rumah</Link>
        <nav aria-label="Main">
          <ul>
            {links.map(([href, label]) => (
              <li key={href}><Link href={href} aria-current={(href === '/' ? path === '/' : path.startsWith(href)) ? 'page' : undefined}>{label}</Link></li>
            ))}
          </ul>
        </nav>
        <span class={`live-status ${status}`} role="status" data-status={status}>{statusText[status]}</span>
        <Bell />
        <span class="who">{user.username} <small>({user.role})</small></span>
        <button type="button" class="link-button" onClick={onLogout}>Log out</button>
      </header>
      <main id="main" tabIndex={-1}>{children}</main>
    </>
  );
}
