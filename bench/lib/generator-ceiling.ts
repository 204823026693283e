import { LoadGenerator } from './loadgen.js';
import { homeTopics, publishTemplate } from './packets.js';
import { HOST, sleep, startNodeServer, type Server } from './procs.js';

function sinkBytes(sink: Server): Promise<number> {
  return new Promise((resolve) => {
    sink.child.once('message', (m: { bytes: number }) => resolve(m.bytes));
    sink.child.send({ op: 'count' });
  });
}

/** The generator alone against a discard server: what it can offer when the other side costs nothing (QoS 0). */
export async function generatorCeiling(workers: number, stepMs: number, load: { connections: number; topics: number }): Promise<{ rate: number; cpuPct: number[] }> {
  const sink = await startNodeServer('sink', 'sink.js');
  const gen = await LoadGenerator.start(workers);
  try {
    await gen.connect({ host: HOST, port: sink.port }, { ...load, qos: 0, clientPrefix: 'bench-sink' });
    await gen.run(50_000, 500);
    const bytes0 = await sinkBytes(sink);
    const run = await gen.run(5_000_000, stepMs);
    await sleep(200);
    // Checked at the receiving end: messages = bytes read / bytes per publish (all templates are the same size ±2).
    const read = (await sinkBytes(sink)) - bytes0;
    const perMessage = publishTemplate(homeTopics(1)[0]!, 0).bytes.length;
    const rate = Math.min(run.sent, read / perMessage) / (stepMs / 1000);
    return { rate, cpuPct: run.cpuMs.map((c) => (100 * c) / stepMs) };
  } finally {
    await gen.disconnect().catch(() => undefined);
    await gen.stop();
    await sink.stop();
  }
}
