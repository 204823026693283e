import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, deviceAccount, end, publish, startHub, tempDir, waitFor } from '../helpers/hub.js';
import { loginAsAdmin, readMetrics } from '../helpers/http.js';
import { exportSeries, freePort, startVictoriaMetrics, victoriaMetricsBin, type VictoriaMetrics } from '../helpers/victoria-metrics.js';
import { removeWhenDone } from '../helpers/remove-when-done.js';

// Issue 17 item 4: history out for analysis. State changes go to Debian's VictoriaMetrics through its InfluxDB
// line-protocol endpoint and are read back through its export API; while it is stopped, nothing is lost: the
// points made meanwhile are back-filled when it returns.

const missing = victoriaMetricsBin() ? false : 'victoria-metrics is not installed (Debian: apt-get install victoria-metrics); skipped';

test('history export: state changes reach VictoriaMetrics with the device\'s tags, and an outage is back-filled', { skip: missing }, async (t) => {
  const port = await freePort();
  const storage = tempDir('vm-');
  removeWhenDone(storage);
  let vm: VictoriaMetrics | undefined = await startVictoriaMetrics(port, storage);
  t.after(() => vm?.stop());

  const dataDir = tempDir();
  removeWhenDone(dataDir);
  const config = { exports: { influx: { enabled: true, url: `http://127.0.0.1:${port}/write`, intervalMs: 200, maxRetryMs: 400 }, prometheus: { deviceStates: true } } } as never;
  let hub = await startHub(config, { dataDir });
  t.after(() => hub.stop());
  const creds = await deviceAccount(hub, 'kitchen');
  let device = await connect(hub.mqttUrl, creds);
  t.after(() => end(device));

  const topic = 'ourhome/firstfloor/kitchen/temperature';
  const selector = '{__name__="rumah_value",property="temperature"}';
  const sent: number[] = [];
  const report = async (value: number) => {
    await publish(device, topic, String(value));
    sent.push(value);
    await waitFor(() => hub.hub.states.value(hub.hub.registry.list().find((d) => d.topic === topic)?.id ?? '', 'temperature') === value, 5000, `state ${value}`);
  };
  for (const v of [20.5, 21, 21.5]) await report(v);
  await publish(device, 'ourhome/groundfloor/hall/light', 'on');
  await publish(device, 'ourhome/groundfloor/hall/light', 'off');

  const first = await waitFor(async () => {
    const series = await exportSeries(vm!, selector);
    return series[0]?.values.length === 3 ? series[0] : undefined;
  }, 20_000, 'three points in VictoriaMetrics');
  const id = hub.hub.registry.list().find((d) => d.topic === topic)!.id;
  assert.deepEqual(first.values, [20.5, 21, 21.5]);
  assert.deepEqual({ ...first.metric }, { __name__: 'rumah_value', id, name: 'Kitchen temperature', floor: 'First floor', room: 'Kitchen', property: 'temperature', unit: '°C' });
  // Binary states as 1/0.
  const light = await waitFor(async () => (await exportSeries(vm!, '{__name__="rumah_value",property="light"}'))[0]?.values.length === 2 || undefined, 20_000, 'light points');
  assert.ok(light);

  // The store goes away; the house goes on.
  await vm.stop();
  vm = undefined;
  for (const v of [22, 22.5, 23]) await report(v);
  await waitFor(() => hub.hub.exports!.influx!.counters.failures > 0, 10_000, 'a failed write while VictoriaMetrics is down');
  // The three wait in history, and /metrics says so.
  await waitFor(async () => (await readMetrics(hub)).includes('rumah_export_influx_backlog_rows 3\n'), 10_000, 'a backlog of 3 rows');

  vm = await startVictoriaMetrics(port, storage);
  const all = await waitFor(async () => {
    const series = await exportSeries(vm!, selector);
    return series[0]?.values.length === 6 ? series[0] : undefined;
  }, 20_000, 'six points after the back-fill');
  assert.deepEqual(all.values, sent);
  await waitFor(async () => (await readMetrics(hub)).includes('rumah_export_influx_backlog_rows 0\n'), 10_000, 'no backlog');
  // At the times the hub recorded them, not when they were sent.
  const history = await hub.hub.devices.history(id, 'temperature');
  assert.deepEqual(all.timestamps, history.map((h) => h.ts));

  // Prometheus gauges (opt-in) beside the hub's own metrics, with the same labels.
  const metrics = await readMetrics(hub);
  assert.match(metrics, new RegExp(`rumah_device_state\\{id="${id}",name="Kitchen temperature",floor="First floor",room="Kitchen",property="temperature",unit="°C"\\} 23\\n`));
  assert.match(metrics, /rumah_device_state\{id="[^"]+",name="Hall light",floor="Ground floor",room="Hall",property="light",unit=""\} 0\n/);
  assert.equal(metrics.match(/# TYPE rumah_device_state gauge/g)?.length, 1);
  assert.match(metrics, /rumah_export_influx_points_total 8\n/);

  // Down together: the store, then the hub. The hub's next start reads on from where the store last said yes.
  await vm.stop();
  vm = undefined;
  for (const v of [24, 24.5]) await report(v);
  await hub.stop();
  vm = await startVictoriaMetrics(port, storage);
  hub = await startHub(config, { dataDir });
  device = await connect(hub.mqttUrl, creds);
  await report(25);
  const after = await waitFor(async () => {
    const series = await exportSeries(vm!, selector);
    return series[0]?.values.length === 9 ? series[0] : undefined;
  }, 20_000, 'nine points after the hub\'s restart');
  assert.deepEqual(after.values, sent);

  // Renamed and moved: the points from then on carry the new tags (the export keeps each series' escaped tags, and
  // makes them again when the device's name, floor or room changes).
  const admin = await loginAsAdmin(hub.httpUrl);
  const renamed = await admin.patch(`/api/devices/${id}`, { name: 'Pantry, cold = shelf', room: 'Pantry' });
  assert.equal(renamed.status, 200, JSON.stringify(renamed.body));
  await report(26);
  const moved = await waitFor(async () => (await exportSeries(vm!, '{__name__="rumah_value",room="Pantry"}'))[0], 20_000, 'a point under the new tags');
  assert.deepEqual(moved.values, [26]);
  assert.deepEqual({ ...moved.metric }, { __name__: 'rumah_value', id, name: 'Pantry, cold = shelf', floor: 'First floor', room: 'Pantry', property: 'temperature', unit: '°C' });
});
