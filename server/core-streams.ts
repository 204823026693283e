/**
 * Makes `readable-stream` hand out Node's own streams. mqtt-packet's parser requires `bl`, whose entry requires
 * readable-stream 4 (a copy of Node 18's stream module, 114 files) for the Duplex each new parser makes: loading them
 * was ~23–31 ms of every start before the MQTT listener, the largest single module load left there, for a stream the
 * hub swaps for a plain BufferList the moment the parser is made (mqtt/parser-input.ts). `READABLE_STREAM=disable` is
 * readable-stream's own switch (its lib/ours/index.js, the one Node's CITGM runs the ecosystem with): it exports
 * Node's Readable, Writable, Duplex, pipeline... instead of loading its copy. MQTT.js (the bridges) resolves the
 * same readable-stream and so runs on Node's streams too; Node 20's are the ones readable-stream 4 was cut from.
 *
 * A value the environment already sets is kept (`READABLE_STREAM=enable npm start` loads the copy again). It must run
 * before mqtt-packet and MQTT.js are loaded: one of the hub's first imports (and an entry of the bundle's own,
 * scripts/build-server.mjs). Measured: docs/benchmarks.md, "Twentieth session".
 */
process.env.READABLE_STREAM ??= 'disable';
