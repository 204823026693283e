/** Messages between the load generator's coordinator (bench process) and its worker processes, over IPC. */
import type { Dialect } from './dialect.js';

export interface ConnectCommand {
  op: 'connect';
  host: string;
  port: number;
  username?: string;
  password?: string;
  /** One entry per connection: its client id and the topics it publishes on, in turn. */
  clients: Array<{ clientId: string; topics: string[] }>;
  qos: 0 | 1;
  /** Payload template (see packets.ts); the telemetry reading when absent. */
  template?: string;
  /** MQTT 3.1.1 when absent. */
  dialect?: Dialect;
}

export interface RunCommand {
  op: 'run';
  /** Messages per second for this worker (all its connections together). */
  rate: number;
  ms: number;
  /** QoS 1: PUBACKs a connection may wait for before it sends more. */
  window: number;
}

export interface CloseCommand {
  op: 'close';
}

export type WorkerCommand = ConnectCommand | RunCommand | CloseCommand;

export interface RunReport {
  op: 'done';
  sent: number;
  acked: number;
  /** From the first write to the last. */
  elapsedMs: number;
  /** Worker CPU time during the run (user + system), ms. */
  cpuMs: number;
  /** Connections found closed (the broker dropped them). */
  closed: number;
}

export type WorkerReply = { op: 'connected'; clients: number } | RunReport | { op: 'error'; message: string } | { op: 'closed' };
