import net from 'node:net';
import { Aedes } from 'aedes-v1';

/**
 * The reference: a bare aedes 1.x broker with its defaults (in-memory persistence, no hooks), on loopback,
 * port picked by the OS (or BENCH_PORT, for a start timed to its first CONNACK), in its own process so it does not
 * share an event loop with the load generator.
 */
const broker = await Aedes.createBroker();
// The same choice as rumah's listener: Nagle off, so small packets are not held back waiting for ACKs.
const server = net.createServer((socket) => {
  socket.setNoDelay(true);
  broker.handle(socket);
});
server.listen(Number(process.env.BENCH_PORT ?? 0), '127.0.0.1', () => process.send?.({ port: (server.address() as net.AddressInfo).port }));

const stop = (): void => {
  server.close();
  broker.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 1000).unref();
};
process.on('SIGTERM', stop);
process.on('disconnect', stop);
