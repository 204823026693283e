import type { JSX } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, currentUser, errorText, type User } from './api.js';
import { Layout } from './components/layout.js';
import { LiveConnection, type LiveStatus } from './live/connection.js';
import { LiveContext, type Live } from './live/hooks.js';
import { DeviceStore } from './live/store.js';
import { NoticeStore } from './live/notices.js';
import { Notifications } from './components/notifications.js';
import { Ticker } from './live/ticker.js';
import { DevicePage } from './pages/device.js';
import { HomePage } from './pages/home.js';
import { LoginPage } from './pages/login.js';
import { SetupPage } from './pages/setup.js';
import { BackupsPage } from './pages/backups.js';
import { UsersPage } from './pages/users.js';
import { RulesPage } from './pages/rules.js';
import { RulePage } from './pages/rule.js';
import { PairingPage } from './pages/pairing.js';
import { BrokerPage } from './pages/broker.js';
import { DevicesPage } from './pages/devices.js';
import { AreasPage } from './pages/areas.js';
import { LogbookPage } from './pages/logbook.js';
import { TrustPage } from './pages/trust.js';
import { match, navigate, usePath } from './router.js';

type Session = { state: 'loading' } | { state: 'failed'; error: string; unreachable: boolean } | { state: 'out'; setupRequired: boolean } | { state: 'in'; user: User };

/** Who is here decides the page: first-run setup, login, or the live dashboard. */
export function App(): JSX.Element {
  const [session, setSession] = useState<Session>({ state: 'loading' });
  const path = usePath();

  const check = async (): Promise<void> => {
    try {
      const user = await currentUser();
      if (user) return setSession({ state: 'in', user });
      const { setupRequired } = await api<{ setupRequired: boolean }>('GET', '/api/auth/status');
      setSession({ state: 'out', setupRequired });
    } catch (err) {
      // fetch rejects with a TypeError when no answer came at all (offline, another network, the hub down).
      setSession({ state: 'failed', error: errorText(err), unreachable: err instanceof TypeError });
    }
  };
  useEffect(() => void check(), []);

  // Keep the address bar honest: /setup or /login while logged out, never those once in.
  useEffect(() => {
    if (session.state === 'out') {
      const want = session.setupRequired ? '/setup' : '/login';
      if (path !== want) navigate(path === '/login' || path === '/setup' ? want : `${want}?next=${encodeURIComponent(path)}`, true);
    } else if (session.state === 'in' && (path === '/login' || path === '/setup')) {
      navigate(safeNext(), true);
    }
  }, [session, path]);

  const loggedIn = (user: User): void => {
    setSession({ state: 'in', user });
    navigate(safeNext(), true);
  };
  switch (session.state) {
    case 'loading':
      return <main id="main" class="narrow"><p>Loading…</p></main>;
    case 'failed':
      return <Unreachable error={session.error} unreachable={session.unreachable} retry={() => void check()} />;
    case 'out':
      return session.setupRequired ? <SetupPage onDone={loggedIn} /> : <LoginPage onLogin={loggedIn} />;
    case 'in':
      return <Dashboard user={session.user} onSessionEnded={() => setSession({ state: 'out', setupRequired: false })} />;
  }
}

/**
 * The hub could not be asked who is here. Out of reach (an installed app opened away from home: web/sw/sw.ts kept
 * the shell) it says so and asks again by itself, every few seconds and when the network returns.
 */
function Unreachable({ error, unreachable, retry }: { error: string; unreachable: boolean; retry: () => void }): JSX.Element {
  useEffect(() => {
    if (!unreachable) return;
    const timer = setInterval(retry, 5000);
    window.addEventListener('online', retry);
    return () => {
      clearInterval(timer);
      window.removeEventListener('online', retry);
    };
  }, [unreachable]);
  return (
    <main id="main" class="narrow">
      <h1>{unreachable ? 'The hub is out of reach' : 'The hub did not answer'}</h1>
      {unreachable && <p>This phone or computer cannot reach the hub: it is offline, or on another network than the hub. This page opens by itself once the hub can be reached.</p>}
      <p role="alert">{error}</p>
      <button type="button" onClick={retry}>Try again</button>
    </main>
  );
}

/** Only a path on this site (`/x`, not `//evil.example`): an open redirect would make phishing links look like ours. */
function safeNext(): string {
  const next = new URLSearchParams(location.search).get('next') ?? '/';
  return /^\/(?![/\\])/.test(next) && next !== '/login' && next !== '/setup' ? next : '/';
}

function Dashboard({ user, onSessionEnded }: { user: User; onSessionEnded: () => void }): JSX.Element {
  const [status, setStatus] = useState<LiveStatus>('connecting');
  const [loaded, setLoaded] = useState(false);
  const live = useRef<Live | null>(null);
  if (!live.current) {
    const store = new DeviceStore();
    const notices = new NoticeStore();
    const connection = new LiveConnection(store, {
      status: (s) => {
        setStatus(s);
        if (s === 'unauthorized') onSessionEnded();
      },
      snapshot: () => setLoaded(true),
    }, notices);
    live.current = { store, connection, ticker: new Ticker(5000), notices };
  }
  useEffect(() => () => live.current?.connection.close(), []);

  const logout = async (): Promise<void> => {
    live.current?.connection.close();
    await api('POST', '/api/auth/logout').catch(() => undefined);
    onSessionEnded();
  };

  return (
    <LiveContext.Provider value={live.current}>
      <Layout user={user} status={status} onLogout={() => void logout()}>
        <Routes user={user} loaded={loaded} />
      </Layout>
      <Notifications />
    </LiveContext.Provider>
  );
}

function Routes({ user, loaded }: { user: User; loaded: boolean }): JSX.Element {
  const path = usePath();
  const first = useRef(true);
  // A new page: move focus to it, so keyboard and screen-reader users start at its top (as after a full load).
  useEffect(() => {
    if (first.current) return void (first.current = false);
    document.getElementById('main')?.focus();
  }, [path]);
  let params: Record<string, string> | undefined;
  if (match('/', path)) return <HomePage loaded={loaded} />;
  if (match('/devices', path)) return <DevicesPage user={user} loaded={loaded} />;
  if (match('/areas', path)) return user.role === 'admin' ? <AreasPage /> : <Forbidden />;
  if ((params = match('/devices/:id', path))) return <DevicePage id={params.id!} user={user} loaded={loaded} />;
  if (match('/logbook', path)) return <LogbookPage />;
  if (match('/rules', path)) return <RulesPage user={user} />;
  if ((params = match('/rules/:id', path))) return <RulePage key={params.id} id={params.id!} user={user} />;
  if (match('/pairing', path)) return user.role === 'admin' ? <PairingPage /> : <Forbidden />;
  if (match('/broker', path)) return user.role === 'admin' ? <BrokerPage /> : <Forbidden />;
  if (match('/users', path)) return user.role === 'admin' ? <UsersPage me={user} /> : <Forbidden />;
  if (match('/trust', path)) return <TrustPage />;
  if (match('/backups', path)) return user.role === 'admin' ? <BackupsPage /> : <Forbidden />;
  return <><h1>Not found</h1><p>There is no page at this address.</p></>;
}

function Forbidden(): JSX.Element {
  return <><h1>Admins only</h1><p>Ask an admin of this hub if you need this page.</p></>;
}
