import { RawClient } from './raw-client.js';
import { publishTemplate, writePublish, type PublishTemplate } from './packets.js';
import type { ConnectCommand, RunCommand, RunReport, WorkerCommand, WorkerReply } from './loadgen-protocol.js';

/**
 * A load generator worker process: holds its share of the device connections and writes pre-encoded publishes
 * at the rate it is told. Paced by a 1 ms timer (not a busy loop: on 2 cores the broker needs the other one);
 * each tick sends what is due since the start, so a late tick catches up instead of lowering the rate.
 */

/**
 * Bytes queued in one socket (in Node, beyond what the kernel took) above which it gets no more: the broker is
 * not reading and TCP pushes back. Small, so that "sent" means handed to the kernel, not parked in this process.
 */
const HIGH_WATER = 16 * 1024;
/** How long a QoS 1 run waits after its last write for the PUBACKs still owed. */
const ACK_WAIT_MS = 2000;

interface Conn {
  client: RawClient;
  templates: PublishTemplate[];
  /** Next topic (index into templates). */
  next: number;
  /** Per topic: how many values were sent on it, so each message carries a new reading. */
  values: number[];
  inflight: number;
  nextId: number;
}

let conns: Conn[] = [];
let qos: 0 | 1 = 0;

function reply(msg: WorkerReply): void {
  process.send?.(msg);
}

async function connect(cmd: ConnectCommand): Promise<void> {
  qos = cmd.qos;
  conns = [];
  // A few at a time: 50 CONNECTs at once make a broker's authentication (scrypt in rumah) the thing measured.
  for (let i = 0; i < cmd.clients.length; i += 10) {
    const batch = cmd.clients.slice(i, i + 10);
    const clients = await Promise.all(
      batch.map((c) => RawClient.connect({
        host: cmd.host, port: cmd.port, clientId: c.clientId, username: cmd.username, password: cmd.password, protocolVersion: cmd.dialect?.version,
      })),
    );
    clients.forEach((client, k) => {
      const topics = batch[k]!.topics;
      const conn: Conn = {
        client, templates: topics.map((t) => publishTemplate(t, cmd.qos, cmd.template, cmd.dialect)), next: 0,
        values: topics.map(() => 0), inflight: 0, nextId: 1,
      };
      client.onPuback = () => conn.inflight--;
      conns.push(conn);
    });
  }
}

/** Writes `m` publishes on `c`'s topics, in turn, as one buffer. */
function send(c: Conn, m: number): void {
  let size = 0;
  for (let k = 0, t = c.next; k < m; k++, t = (t + 1) % c.templates.length) size += c.templates[t]!.bytes.length;
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  for (let k = 0; k < m; k++) {
    const t = c.next;
    c.next = (t + 1) % c.templates.length;
    const v = c.values[t]!++;
    at = writePublish(c.templates[t]!, out, at, v, c.nextId);
    if (qos) c.nextId = c.nextId === 65535 ? 1 : c.nextId + 1;
  }
  if (qos) c.inflight += m;
  c.client.socket.write(out);
}

function run(cmd: RunCommand): Promise<RunReport> {
  return new Promise((resolve) => {
    const n = conns.length;
    const total = Math.round((cmd.rate * cmd.ms) / 1000);
    const acked0 = conns.reduce((s, c) => s + c.client.acked, 0);
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    let sent = 0;
    let lastWrite = t0;
    let rr = 0;
    const finish = (): void => {
      const cpu = process.cpuUsage(cpu0);
      const acked = conns.reduce((s, c) => s + c.client.acked, 0) - acked0;
      resolve({ op: 'done', sent, acked, elapsedMs: lastWrite - t0, cpuMs: (cpu.user + cpu.system) / 1000, closed: conns.filter((c) => c.client.closed).length });
    };
    const waitAcks = (deadline: number): void => {
      const owed = conns.reduce((s, c) => s + c.inflight, 0);
      if (owed <= 0 || performance.now() > deadline) finish();
      else setTimeout(() => waitAcks(deadline), 2);
    };
    const tick = (): void => {
      const elapsed = performance.now() - t0;
      let due = Math.floor((cmd.rate * Math.min(elapsed, cmd.ms)) / 1000) - sent;
      if (due > 0) {
        const per = Math.max(1, Math.ceil(due / n));
        for (let k = 0; k < n && due > 0; k++) {
          const c = conns[rr]!;
          rr = (rr + 1) % n;
          if (c.client.closed || c.client.socket.writableLength > HIGH_WATER) continue;
          const m = Math.min(per, due, qos ? cmd.window - c.inflight : Infinity);
          if (m <= 0) continue;
          send(c, m);
          sent += m;
          due -= m;
          lastWrite = performance.now();
        }
      }
      if (elapsed >= cmd.ms || sent >= total) {
        if (qos) waitAcks(performance.now() + ACK_WAIT_MS);
        else finish();
      } else {
        setTimeout(tick, 1);
      }
    };
    tick();
  });
}

process.on('message', (cmd: WorkerCommand) => {
  const handle = async (): Promise<void> => {
    switch (cmd.op) {
      case 'connect':
        await connect(cmd);
        reply({ op: 'connected', clients: conns.length });
        return;
      case 'run':
        reply(await run(cmd));
        return;
      case 'close':
        await Promise.all(conns.map((c) => c.client.close()));
        conns = [];
        reply({ op: 'closed' });
        return;
    }
  };
  handle().catch((err: Error) => reply({ op: 'error', message: err.message }));
});
// The coordinator going away (crash, Ctrl-C) ends the worker too.
process.on('disconnect', () => process.exit(0));
