"""A Home-Assistant-like MQTT 5 client, as HA 2026.6+ runs paho against its broker:

- clean_start=True and no Session Expiry Interval (its session ends with the connection);
- a will `homeassistant/status` = offline, and a birth `homeassistant/status` = online once connected;
- every plain topic subscribed with Subscription Identifier 1, in one SUBSCRIBE; each wildcard in its own SUBSCRIBE
  with its own identifier >= 2;
- each incoming message handed to every subscription whose filter matches its topic AND whose identifier is among
  the ones the message carries (HA's dispatch: `complex_matcher(topic) and subscription_id in identifiers`).

Scenarios: `dispatch` (overlapping plain and wildcard subscriptions, birth, expiry, will) and `bad-password`.
"""
import time

import paho.mqtt.client as mqtt

from common import Client, Failure, PacketTypes, SubscribeOptions, V5, expect, props, run, wait_until

BIRTH = 'homeassistant/status'


def matches(filter_, topic):
    return mqtt.topic_matches_sub(filter_, topic)


class Dispatcher:
    def __init__(self):
        self.subscriptions = []  # (filter, si)
        self.calls = []  # (filter, topic, payload)
        self.unrouted = []

    def add(self, filter_, si):
        self.subscriptions.append((filter_, si))

    def __call__(self, msg):
        identifiers = msg['properties'].get('SubscriptionIdentifier')
        hit = False
        for filter_, si in self.subscriptions:
            if matches(filter_, msg['topic']) and (identifiers is None or si in identifiers):
                self.calls.append((filter_, msg['topic'], msg['payload']))
                hit = True
        if not hit:
            self.unrouted.append(msg)

    def handled(self, filter_, topic, payload):
        return sum(1 for c in self.calls if c == (filter_, topic, payload))


def dispatch(cfg):
    p = cfg.prefix
    device = cfg.device()
    # The device (a Zigbee2MQTT-like publisher, on a device account) watches HA's status: birth and will.
    z2m = Client(cfg, '%s-z2m' % p, username=device['username'], password=device['password'])
    z2m.connect()
    expect(z2m.subscribe(BIRTH, qos=1) == [[1]], 'the device could not subscribe to %s' % BIRTH)

    # Retained before HA starts, as after a restart of HA: a discovery config and an entity's last state. HA sees them
    # when it subscribes, each copy carrying the identifier of the subscription that asked for it.
    retained = [
        ('homeassistant/binary_sensor/%s_door/config' % p, '{"name":"door"}'),
        ('%s/lamp' % p, 'OFF'),
    ]
    for topic, payload in retained:
        z2m.publish(topic, payload, qos=1, retain=True)

    ha = Client(cfg, '%s-homeassistant' % p)
    ha.will(BIRTH, 'offline', qos=0, retain=False)
    connack = ha.connect(clean_start=True, keepalive=60)
    expect('SessionExpiryInterval' not in connack['properties'] or connack['properties']['SessionExpiryInterval'] == 0, 'CONNACK gave a session expiry: %s' % connack)
    expect(connack['properties'].get('SubscriptionIdentifierAvailable', 1) == 1, 'the hub says Subscription Identifiers are not available')
    router = Dispatcher()
    ha.on_message = router

    plain = [BIRTH, '%s/lamp' % p, '%s/lamp/availability' % p, '%s/sensor' % p]
    wildcards = ['homeassistant/+/+/config', '%s/#' % p, '%s/+/availability' % p, 'homeassistant/+/+/+/config']
    for f in plain:
        router.add(f, 1)
    granted = ha.subscribe([(f, SubscribeOptions(qos=0)) for f in plain], properties=props(PacketTypes.SUBSCRIBE, SubscriptionIdentifier=1))
    expect(granted == [[0] * len(plain)], 'SUBACK for the plain topics: %s' % granted)
    for i, f in enumerate(wildcards):
        si = 2 + i
        router.add(f, si)
        granted = ha.subscribe(f, options=SubscribeOptions(qos=1), properties=props(PacketTypes.SUBSCRIBE, SubscriptionIdentifier=si))
        expect(granted == [[1]], 'SUBACK for %s: %s' % (f, granted))

    ha.publish(BIRTH, 'online', qos=0)
    z2m.wait_messages(1, where=lambda m: m['payload'] == 'online', what='the birth message at the device')
    wait_until(lambda: router.handled(BIRTH, BIRTH, 'online'), 10, 'HA to hear its own birth (SI 1)')

    # The device publishes: a plain+wildcard topic, a plain+two wildcards one, a wildcard-only one, discovery.
    sent = [
        ('%s/lamp' % p, 'ON', 1, None),
        ('%s/lamp/availability' % p, 'online', 1, None),
        ('%s/plug/availability' % p, 'offline', 0, None),
        ('homeassistant/light/%s/lamp/config' % p, '{"name":"lamp"}', 1, None),
        ('homeassistant/sensor/%s_temperature/config' % p, '{"name":"temperature"}', 1, None),
        ('%s/sensor' % p, '{"temperature":21.5}', 1, props(PacketTypes.PUBLISH, MessageExpiryInterval=120)),
    ]
    for topic, payload, qos, properties in sent:
        z2m.publish(topic, payload, qos=qos, properties=properties)
    expected = {}
    for topic, payload, _, _ in sent:
        for f, _si in router.subscriptions:
            if matches(f, topic):
                expected[(f, topic, payload)] = 1
    for topic, payload in retained:
        for f, _si in router.subscriptions:
            if matches(f, topic):
                expected[(f, topic, payload)] = 1
    wait_until(lambda: all(router.handled(*k) >= 1 for k in expected), 10, 'every matching handler: %s; handled %s' % (sorted(expected), router.calls))
    # Duplicates would arrive right behind: a message carrying both identifiers once and once more with both would
    # run a handler twice (HA's automation triggers firing twice, core#168379). Wait for one more round trip.
    z2m.publish('%s/fence' % p, 'x', qos=1)
    wait_until(lambda: router.handled('%s/#' % p, '%s/fence' % p, 'x'), 10, 'the fence message')
    twice = [k for k in expected if router.handled(*k) != 1]
    expect(not twice, 'handlers not run exactly once: %s' % [(k, router.handled(*k)) for k in twice])
    expect(not router.unrouted, 'messages HA could not route by their identifiers: %s' % router.unrouted)

    sensor = [m for m in ha.received() if m['topic'] == '%s/sensor' % p]
    expect(sensor, 'the message with a Message Expiry Interval was not forwarded')
    for m in sensor:
        mei = m['properties'].get('MessageExpiryInterval')
        expect(mei is not None and 0 < mei <= 120, 'forwarded without its remaining Message Expiry Interval: %s' % m)

    by_topic = {}
    for m in ha.received():
        by_topic.setdefault(m['topic'], []).append(sorted(m['properties'].get('SubscriptionIdentifier', [])))
    # HA's unclean end: the network drops; the hub publishes the will.
    ha.drop()
    for topic, _ in retained:
        z2m.publish(topic, b'', qos=1, retain=True)
    z2m.wait_messages(1, where=lambda m: m['payload'] == 'offline', what='the will at the device')
    will = [m for m in z2m.received() if m['payload'] == 'offline'][0]
    z2m.disconnect()
    return {
        'handled': sorted('%s <- %s' % (f, t) for (f, t, _) in router.calls),
        'identifiers': by_topic,
        'sensorExpiry': sensor[0]['properties'].get('MessageExpiryInterval'),
        'will': will,
    }


def bad_password(cfg):
    ha = Client(cfg, '%s-homeassistant-reauth' % cfg.prefix, password=cfg.password + '-wrong')
    connack = ha.connect(clean_start=True, expect_rc=None)
    try:
        ha.c.loop_stop()
    except Exception:
        pass
    expect(connack['rc'] == 134, 'a wrong password gave CONNACK reason code %s; Home Assistant starts its reauth flow on 134 (0x86, Bad User Name or Password)' % connack['rc'])
    return {'rc': connack['rc']}


if __name__ == '__main__':
    run({'dispatch': dispatch, 'bad-password': bad_password})
