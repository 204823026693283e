import type { JSX } from 'preact';
import { useMemo, useState } from 'preact/hooks';
import { Chart } from '../components/chart.js';
import { useBrokerStats } from '../live/topics.js';
import { Ago } from '../components/time.js';
import { topicTree, type TopicInfo, type TopicNode } from '../model/topic-tree.js';
import { OutboundBridges, type OutboundBridgeView } from './broker-bridges.js';

/** Another broker bridged into this one (server/api/broker.ts BridgeView). */
interface BridgeView {
  state: 'up' | 'down' | 'unknown';
  messagesIn: number;
  rateIn: number;
  topics: string[];
}

interface BrokerView {
  outboundBridges?: OutboundBridgeView[];
  clients: Array<{ clientId: string; username?: string; protocolVersion?: number; since: number; bridge?: BridgeView; protocol?: string }>;
  counters: { messagesIn: number; messagesOut: number };
  rates: Array<{ ts: number; in: number; out: number }>;
  topics: TopicInfo[];
  topicsCapped: boolean;
}

/** The MQTT version a client connected with, as people name it. */
function protocolName(version: number | undefined): string {
  return version === 5 ? 'MQTT 5' : version === 4 ? 'MQTT 3.1.1' : version === 3 ? 'MQTT 3.1' : '—';
}

/** The embedded broker: who is connected, messages per second, and a tree of the topics seen; live over the socket (`broker`, at most once a second). */
export function BrokerPage(): JSX.Element {
  const stats = useBrokerStats();
  const data = stats.data as BrokerView | undefined;
  const { error, refresh } = stats;
  const tree = useMemo(() => (data ? topicTree(data.topics) : undefined), [data]);
  const xs = useMemo(() => data?.rates.map((r) => r.ts) ?? [], [data]);
  const ys = useMemo(() => data?.rates.map((r) => Math.round(r.in * 10) / 10) ?? [], [data]);
  const last = data?.rates[data.rates.length - 1];
  const bridges = data?.clients.filter((c) => c.bridge) ?? [];
  return (
    <>
      <h1>Broker</h1>
      {error && <p class="form-error" role="alert">{error}</p>}
      {!data && !error && <p>Loading…</p>}
      {data && (
        <>
          <p class="figures">
            <span><strong>{data.clients.length}</strong> clients</span>
            <span><strong>{last ? Math.round(last.in) : 0}</strong> messages/s in</span>
            <span><strong>{last ? Math.round(last.out) : 0}</strong> messages/s out</span>
            <span><strong>{data.counters.messagesIn}</strong> received since start</span>
          </p>
          <section class="panel" aria-labelledby="rate-h">
            <h2 id="rate-h">Messages per second</h2>
            {xs.length > 1 ? <Chart xs={xs} ys={ys} label="Messages in" unit="/s" /> : <p class="empty">Measuring…</p>}
          </section>
          <section class="panel" aria-labelledby="clients-h">
            <h2 id="clients-h">Connected clients</h2>
            <table>
              <thead><tr><th scope="col">Client id</th><th scope="col">Account</th><th scope="col">Protocol</th><th scope="col">Connected</th></tr></thead>
              <tbody>{data.clients.map((c) => <tr key={c.clientId}><td><code>{c.clientId}</code></td><td>{c.username ?? '—'}</td><td>{c.protocol ?? protocolName(c.protocolVersion)}{c.bridge ? ' (bridge)' : ''}</td><td><Ago ts={c.since} /></td></tr>)}</tbody>
            </table>
          </section>
          {bridges.length > 0 && (
            <section class="panel" aria-labelledby="bridges-h">
              <h2 id="bridges-h">Bridged systems</h2>
              <table>
                <thead><tr><th scope="col">Bridge</th><th scope="col">Account</th><th scope="col">State</th><th scope="col">Messages in</th><th scope="col">Topics</th></tr></thead>
                <tbody>{bridges.map((c) => (
                  <tr key={c.clientId} data-bridge={c.clientId}>
                    <td><code>{c.clientId}</code></td><td>{c.username ?? '—'}</td>
                    <td>{c.bridge!.state === 'up' ? 'connected' : c.bridge!.state === 'down' ? 'down' : 'no state sent'}</td>
                    <td>{c.bridge!.messagesIn} ({Math.round(c.bridge!.rateIn * 10) / 10}/s)</td>
                    <td>{c.bridge!.topics.length ? c.bridge!.topics.map((t) => <code key={t}>{t} </code>) : '—'}</td>
                  </tr>
                ))}</tbody>
              </table>
            </section>
          )}
          <OutboundBridges bridges={data.outboundBridges ?? []} changed={refresh} />
          <section class="panel" aria-labelledby="topics-h">
            <h2 id="topics-h">Topics</h2>
            {data.topicsCapped && <p class="hint">Only the first topics seen are kept; more were published.</p>}
            {tree && tree.children.length === 0 && <p class="empty">No messages yet.</p>}
            {tree && <ul class="topic-tree">{tree.children.map((n) => <Node key={n.path} node={n} />)}</ul>}
          </section>
        </>
      )}
    </>
  );
}

/** A branch opens on demand (native <details>: keyboard and screen readers know it); closed branches render nothing. */
function Node({ node }: { node: TopicNode }): JSX.Element {
  const [open, setOpen] = useState(false);
  const info = node.info && (
    <span class="topic-info">
      {' '}<small>{node.info.count}×{node.info.retained ? ', retained' : ''}, <Ago ts={node.info.ts} /></small>{' '}
      <code class="preview">{node.info.preview}{node.info.bytes > node.info.preview.length ? '…' : ''}</code>
    </span>
  );
  if (node.children.length === 0) return <li data-topic={node.path}><span class="topic-name">{node.name || '(empty)'}</span>{info}</li>;
  return (
    <li data-topic={node.path}>
      <details open={open} onToggle={(e) => setOpen((e.currentTarget as HTMLDetailsElement).open)}>
        <summary><span class="topic-name">{node.name || '(empty)'}</span> <small>{node.total} messages</small>{info}</summary>
        {open && <ul>{node.children.map((c) => <Node key={c.path} node={c} />)}</ul>}
      </details>
    </li>
  );
}
