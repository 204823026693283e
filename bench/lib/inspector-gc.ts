import WebSocket from 'ws';
import { sleep } from './procs.js';

// A full garbage collection in another Node process, asked for over its inspector (the process runs with
// `--inspect=127.0.0.1:0`; HeapProfiler.collectGarbage is what DevTools' "collect garbage" button sends). Used where a
// benchmark compares two RSS readings of a V8 heap: whether V8's memory reducer has shrunk the young generation yet
// (up to 2 × its 16 MiB) is otherwise a matter of when the reading falls, and the difference of two such readings
// swings by more than the figure itself (bench/footprint.ts, per idle connection).

/** Node's line on stderr when its inspector listens. */
const LISTENING = /Debugger listening on (ws:\/\/\S+)/;

export class InspectorGc {
  private nextId = 1;

  private constructor(private readonly socket: WebSocket) {}

  /** Connects to the inspector whose URL `output()` (the process's stderr so far) names; waits up to 10 s for it. */
  static async connect(name: string, output: () => string): Promise<InspectorGc> {
    const deadline = Date.now() + 10_000;
    let url: string | undefined;
    while (!(url = LISTENING.exec(output())?.[1])) {
      if (Date.now() > deadline) throw new Error(`bench: ${name} did not print its inspector's address (run with --inspect=127.0.0.1:0?)\n${output()}`);
      await sleep(20);
    }
    const socket = new WebSocket(url);
    await new Promise<void>((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', (err) => reject(new Error(`bench: ${name}'s inspector at ${url}: ${err.message}`)));
    });
    // A later error (the server stopped) closes the socket, which fails a call in flight (below), not the bench.
    socket.on('error', () => undefined);
    return new InspectorGc(socket);
  }

  /**
   * Two full collections (the second frees what the first's finalizers let go), then a moment for V8 to hand the
   * freed pages back to the system (its unmapper runs on another thread).
   */
  async collect(settleMs = 1000): Promise<void> {
    for (let i = 0; i < 2; i++) await this.call('HeapProfiler.collectGarbage');
    await sleep(settleMs);
  }

  close(): void {
    this.socket.close();
  }

  private call(method: string): Promise<void> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const done = (err?: Error): void => {
        clearTimeout(timer);
        this.socket.off('message', onMessage);
        this.socket.off('close', onClose);
        if (err) reject(err);
        else resolve();
      };
      const timer = setTimeout(() => done(new Error(`bench: the inspector did not answer ${method} within 30 s`)), 30_000);
      const onClose = (): void => done(new Error(`bench: the inspector closed before answering ${method}`));
      const onMessage = (data: WebSocket.RawData): void => {
        const msg = JSON.parse(data.toString()) as { id?: number; error?: { message: string } };
        if (msg.id === id) done(msg.error ? new Error(`bench: ${method}: ${msg.error.message}`) : undefined);
      };
      this.socket.on('message', onMessage);
      this.socket.on('close', onClose);
      this.socket.send(JSON.stringify({ id, method }));
    });
  }
}
