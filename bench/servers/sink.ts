import net from 'node:net';

/**
 * A discard server that answers CONNECT with CONNACK and reads everything else without parsing it: what the load
 * generator can offer when the other side costs nothing (QoS 0 only: it sends no PUBACK). It counts the bytes it
 * read, so the generator's rate is checked at the receiving end too (`{op: 'count'}` over IPC → `{bytes}`).
 */
const CONNACK = Buffer.from([0x20, 0x02, 0x00, 0x00]);
let bytes = 0;
const server = net.createServer((socket) => {
  socket.setNoDelay(true);
  socket.once('data', () => socket.write(CONNACK));
  socket.on('data', (d) => (bytes += d.length));
  socket.on('error', () => undefined);
});
server.listen(0, '127.0.0.1', () => process.send?.({ port: (server.address() as net.AddressInfo).port }));
process.on('message', (msg: { op: string }) => {
  if (msg.op === 'count') process.send?.({ bytes });
});
const stop = (): void => {
  server.close();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('disconnect', stop);
