import { useEffect, useState } from 'preact/hooks';
import type { AccountItem, BrokerStats, RuleStatusView, TraceView } from '../../../server/realtime/protocol.js';
import { ruleTracesPerBatch } from '../../../server/realtime/protocol.js';
import { useLive } from './hooks.js';

// The live pages' data (issue 18 item 7): each hook subscribes to its topic while the component is mounted
// (connection.subscribe: `subscribe` / `unsubscribe` on the socket) and merges what the hub pushes. No polling:
// the hub sends a topic's whole state once, then only changes.

export interface LiveData<T> {
  data?: T;
  error?: string;
}

/** Every rule's status, sorted by id; rules whose status changed replace theirs. */
export function useLiveRules(): LiveData<RuleStatusView[]> {
  const { connection } = useLive();
  const [state, setState] = useState<LiveData<RuleStatusView[]>>({});
  useEffect(() => connection.subscribe('rules', 'rules', (update) => {
    setState((prev) => {
      if (update.full || !prev.data) return { data: update.rules };
      const byId = new Map(prev.data.map((r) => [r.id, r]));
      for (const r of update.rules) byId.set(r.id, r);
      return { data: [...byId.values()].sort((a, b) => a.id.localeCompare(b.id)) };
    });
  }, (error) => setState({ error })), [connection]);
  return state;
}

/** One rule's evaluations, newest first (at most as many as the hub keeps); undefined id: none (a new rule). */
export function useLiveTraces(ruleId: string | undefined): LiveData<TraceView[]> {
  const { connection } = useLive();
  const [state, setState] = useState<LiveData<TraceView[]>>({});
  useEffect(() => {
    if (ruleId === undefined) return setState({ data: [] });
    setState({});
    return connection.subscribe(`rule:${ruleId}`, 'ruleTraces', (update) => {
      if (update.ruleId !== ruleId) return;
      setState((prev) => {
        if (update.full || !prev.data) return { data: update.traces };
        const byId = new Map(prev.data.map((t) => [t.id, t]));
        for (const t of update.traces) byId.set(t.id, t);
        return { data: [...byId.values()].sort((a, b) => b.at - a.at || (b.id > a.id ? 1 : -1)).slice(0, ruleTracesPerBatch) };
      });
    }, (error) => setState({ error }));
  }, [connection, ruleId]);
  return state;
}

/** Rate samples the broker page keeps (the hub keeps 300: five minutes at one a second). */
const RATE_SAMPLES = 300;

/** The broker page: everything once, then merged changes at most once a second. */
export function useBrokerStats(): LiveData<Required<Omit<BrokerStats, 'full'>>> & { refresh: () => void } {
  const { connection } = useLive();
  const [state, setState] = useState<LiveData<Required<Omit<BrokerStats, 'full'>>>>({});
  const [generation, setGeneration] = useState(0);
  useEffect(() => connection.subscribe('broker', 'broker', (stats) => {
    setState((prev) => {
      const { full, ...rest } = stats;
      if (full || !prev.data) return { data: { clients: [], outboundBridges: [], ...rest } };
      const topics = new Map(prev.data.topics.map((t) => [t.topic, t]));
      for (const t of stats.topics) topics.set(t.topic, t);
      return {
        data: {
          clients: stats.clients ?? prev.data.clients,
          counters: stats.counters,
          rates: [...prev.data.rates, ...stats.rates].slice(-RATE_SAMPLES),
          topics: [...topics.values()],
          topicsCapped: stats.topicsCapped,
          outboundBridges: stats.outboundBridges ?? prev.data.outboundBridges,
        },
      };
    });
  }, (error) => setState({ error })), [connection, generation]);
  // After a change the page made (an outbound bridge added): subscribing again brings everything at once.
  return { ...state, refresh: () => setGeneration((n) => n + 1) };
}

/** The device accounts (admins): the whole list, again after every change. */
export function useLiveAccounts(): LiveData<AccountItem[]> {
  const { connection } = useLive();
  const [state, setState] = useState<LiveData<AccountItem[]>>({});
  useEffect(() => connection.subscribe('accounts', 'accounts', (list) => setState({ data: list.accounts }), (error) => setState({ error })), [connection]);
  return state;
}
