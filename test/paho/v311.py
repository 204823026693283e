"""MQTT 3.1.1 with paho (protocol=MQTTv311), the protocol of most device firmware: basic, will, persistent-session,
redelivery, mixed (3.1.1 beside MQTT 5), keepalive-limit, bad-password. Run with the admin account, or a device account (exact topics only: devices may not subscribe to
wildcards over others' topics)."""
import time

from common import V5, Client, PacketTypes, RawClient, V311, expect, props, run


def client(cfg, name, clean_session=True, **kw):
    return Client(cfg, '%s-%s' % (cfg.prefix, name), protocol=V311, clean_session=clean_session, **kw)


def basic(cfg):
    p = cfg.prefix
    c = client(cfg, 'v311-basic')
    connack = c.connect(keepalive=30)
    granted = c.subscribe('%s/A' % p, qos=2)
    expect(granted == [[2]], 'SUBACK: %s' % granted)
    for qos in (0, 1, 2):
        c.publish('%s/A' % p, 'qos %d' % qos, qos=qos)
    got = c.wait_messages(3)
    expect(sorted((m['payload'], m['qos']) for m in got) == [('qos 0', 0), ('qos 1', 1), ('qos 2', 2)], 'round trip: %s' % got)
    expect(all(m['properties'] == {} for m in got), 'MQTT 3.1.1 messages with properties: %s' % got)
    # Retained, at a later subscriber.
    c.publish('%s/R' % p, 'kept', qos=1, retain=True)
    late = client(cfg, 'v311-basic-late')
    late.connect()
    late.subscribe('%s/R' % p, qos=1)
    kept = late.wait_messages(1)[0]
    expect(kept['retain'] and kept['payload'] == 'kept', 'retained: %s' % kept)
    c.publish('%s/R' % p, b'', qos=1, retain=True)
    unsub = c.unsubscribe('%s/A' % p)
    c.disconnect()
    late.disconnect()
    return {'connack': connack, 'received': got, 'retained': kept}


def will(cfg):
    p = cfg.prefix
    watcher = client(cfg, 'v311-will-watch')
    watcher.connect()
    watcher.subscribe('%s/will' % p, qos=1)
    dying = client(cfg, 'v311-will-dying')
    dying.will('%s/will' % p, 'gone', qos=1, retain=False)
    dying.connect(keepalive=2, loop=False)
    got = watcher.wait_messages(1, timeout=15, what='the will after the keepalive lapsed')[0]
    expect(got['payload'] == 'gone' and got['qos'] == 1, 'will: %s' % got)
    # A dropped connection (no DISCONNECT) publishes the will too.
    cut = client(cfg, 'v311-will-cut')
    cut.will('%s/will' % p, 'cut', qos=1)
    cut.connect()
    cut.drop()
    watcher.wait_messages(1, where=lambda m: m['payload'] == 'cut', what='the will of a dropped connection')
    # DISCONNECT: no will.
    polite = client(cfg, 'v311-will-polite')
    polite.will('%s/will' % p, 'should not be sent', qos=1)
    polite.connect()
    polite.disconnect()
    fence = client(cfg, 'v311-will-fence')
    fence.connect()
    fence.publish('%s/will' % p, 'fence', qos=1)
    watcher.wait_messages(1, where=lambda m: m['payload'] == 'fence')
    time.sleep(0.3)
    expect(not watcher.received(where=lambda m: m['payload'] == 'should not be sent'), 'a will was published after DISCONNECT')
    return {'will': got}


def persistent_session(cfg):
    """clean_session=False: subscriptions and QoS 1/2 messages are kept while the client is away, and delivered when
    it comes back; clean_session=True then discards the session."""
    p = cfg.prefix
    topic = '%s/persistent' % p
    c = client(cfg, 'v311-persist', clean_session=False)
    first = c.connect()
    c.subscribe(topic, qos=2)
    c.disconnect()
    pub = client(cfg, 'v311-persist-pub')
    pub.connect()
    for qos in (0, 1, 2):
        pub.publish(topic, 'queued qos %d' % qos, qos=qos)
    c = client(cfg, 'v311-persist', clean_session=False)
    resumed = c.connect()
    expect(resumed['session_present'], 'session not present after clean_session=False: %s' % resumed)
    c.wait_messages(2, where=lambda m: m['payload'].startswith('queued'), what='the queued QoS 1 and 2 messages')
    # Still subscribed: a live message arrives.
    pub.publish(topic, 'live', qos=1)
    c.wait_messages(1, where=lambda m: m['payload'] == 'live')
    payloads = sorted(m['payload'] for m in c.received())
    expect(payloads in (['live', 'queued qos 1', 'queued qos 2'], ['live', 'queued qos 0', 'queued qos 1', 'queued qos 2']), 'received: %s' % payloads)
    c.drop()  # away without DISCONNECT: the session stays as well
    pub.publish(topic, 'while dropped', qos=1)
    c = client(cfg, 'v311-persist', clean_session=False)
    again = c.connect()
    expect(again['session_present'], 'session not present after a dropped connection: %s' % again)
    c.wait_messages(1, where=lambda m: m['payload'] == 'while dropped')
    c.disconnect()
    # clean_session=True ends it: nothing more is queued, and no session is present afterwards.
    c = client(cfg, 'v311-persist', clean_session=True)
    cleaned = c.connect()
    expect(not cleaned['session_present'], 'clean_session=True: session present: %s' % cleaned)
    c.disconnect()
    pub.publish(topic, 'after clean', qos=1)
    c = client(cfg, 'v311-persist', clean_session=False)
    fresh = c.connect()
    c.disconnect()
    expect(not fresh['session_present'], 'the session survived clean_session=True: %s' % fresh)
    expect(not c.received(), 'messages of the discarded session: %s' % c.received())
    return {'first': first['session_present'], 'resumed': resumed['session_present'], 'received': payloads}


def redelivery(cfg):
    """clean_session=False: QoS 1 and 2 messages sent but not acknowledged are sent again at reconnect, with their
    packet identifiers and DUP set [MQTT-4.4.0-1, MQTT-3.3.1-1]; a QoS 2 message acknowledged with PUBREC only gets its
    PUBREL again, not the message."""
    p = cfg.prefix
    cid = '%s-v311-redeliver' % p
    raw = RawClient(cfg)
    raw.connect(cid, clean_start=False, version=4)
    expect(raw.read_until(2) is not None, 'no CONNACK')
    raw.subscribe(1, '%s/r/+' % p, 2)
    expect(raw.read_until(9) is not None, 'no SUBACK')
    pub = client(cfg, 'v311-redeliver-pub')
    pub.connect()
    pub.publish('%s/r/1' % p, 'qos 1', qos=1)
    pub.publish('%s/r/2' % p, 'qos 2', qos=2)
    pub.publish('%s/r/3' % p, 'qos 2 received', qos=2)
    first = [raw.publish_of(raw.read_until(3)) for _ in range(3)]
    by_payload = {m['payload']: m for m in first}
    expect(set(by_payload) == {'qos 1', 'qos 2', 'qos 2 received'} and not any(m['dup'] for m in first), 'first delivery: %s' % first)
    raw.ack(5, by_payload['qos 2 received']['mid'])  # PUBREC for one QoS 2 message, then away
    expect(raw.read_until(6) is not None, 'no PUBREL after PUBREC')
    raw.close()
    again = RawClient(cfg)
    again.connect(cid, clean_start=False, version=4)
    connack = again.read_until(2)
    expect(connack is not None and connack[2][0] == 1, 'session not present: %s' % (connack,))
    resent, pubrels = [], []
    while len(resent) + len(pubrels) < 3:
        packet = again.read()
        expect(packet is not None, 'connection closed; resent so far %s, PUBREL %s' % (resent, pubrels))
        if packet[0] == 3:
            resent.append(again.publish_of(packet))
        elif packet[0] == 6:
            pubrels.append(int.from_bytes(packet[2][:2], 'big'))
    got = sorted((m['payload'], m['qos'], m['mid'], m['dup']) for m in resent)
    want = sorted((m['payload'], m['qos'], m['mid'], True) for m in first if m['payload'] != 'qos 2 received')
    expect(got == want, 'resent %s, expected %s' % (got, want))
    expect(pubrels == [by_payload['qos 2 received']['mid']], 'PUBREL resent for %s, expected [%s]' % (pubrels, by_payload['qos 2 received']['mid']))
    for m in resent:
        again.ack(4 if m['qos'] == 1 else 5, m['mid'])
    again.ack(7, pubrels[0])
    again.close()
    return {'first': first, 'resent': got, 'pubrel': pubrels}


def mixed(cfg):
    """MQTT 5 and 3.1.1 clients on one hub: a v5 message with properties and a topic alias reaches a 3.1.1
    subscriber as a plain message; a 3.1.1 message reaches a v5 subscriber (with its Subscription Identifier)."""
    p = cfg.prefix
    old = client(cfg, 'mixed-v311')
    old.connect()
    old.subscribe('%s/mixed/#' % p, qos=2)
    new = Client(cfg, '%s-mixed-v5' % p, protocol=V5)
    new.connect()
    new.subscribe('%s/mixed/#' % p, qos=2, properties=props(PacketTypes.SUBSCRIBE, SubscriptionIdentifier=7))
    rich = props(PacketTypes.PUBLISH, UserProperty=[('k', 'v')], MessageExpiryInterval=60, ContentType='text/plain', ResponseTopic='%s/mixed/reply' % p, CorrelationData=b'id', TopicAlias=3)
    for qos in (0, 1, 2):
        new.publish('%s/mixed/from5' % p, 'v5 qos %d' % qos, qos=qos, properties=rich)
    new.publish('', 'v5 aliased', qos=1, properties=props(PacketTypes.PUBLISH, TopicAlias=3))
    got = old.wait_messages(4, what='the v5 messages at the 3.1.1 client')
    expect(sorted((m['topic'], m['payload'], m['qos']) for m in got) == sorted([('%s/mixed/from5' % p, 'v5 qos %d' % q, q) for q in (0, 1, 2)] + [('%s/mixed/from5' % p, 'v5 aliased', 1)]), '3.1.1 client got %s' % got)
    for qos in (0, 1, 2):
        old.publish('%s/mixed/from311' % p, 'v311 qos %d' % qos, qos=qos)
    back = new.wait_messages(3, where=lambda m: m['topic'] == '%s/mixed/from311' % p, what='the 3.1.1 messages at the v5 client')
    expect(all(m['properties'].get('SubscriptionIdentifier') == [7] and 'UserProperty' not in m['properties'] for m in back), 'v5 client got %s' % back)
    expect(old.disconnected is None and new.disconnected is None, 'a client was disconnected: %s %s' % (old.disconnected, new.disconnected))
    return {'at311': got, 'at5': back}


def keepalive_limit(cfg):
    """Against a hub with mqtt.keepaliveLimit: 3.1.1 cannot be told another keepalive, and aedes would refuse one
    over the limit (or none) with CONNACK 6, a code 3.1.1 reserves. The hub accepts it and holds it to the limit."""
    out = {}
    for keepalive in (120, 0):
        c = client(cfg, 'v311-ka%d' % keepalive)
        out[str(keepalive)] = c.connect(keepalive=keepalive, expect_rc=None)['rc']
        if out[str(keepalive)] == 0:
            c.subscribe('%s/ka' % cfg.prefix, qos=1)
            c.disconnect()
    expect(out == {'120': 0, '0': 0}, 'keepalive 120 and 0 over a limit of 60: CONNACK return codes %s' % out)
    return {'rc': out}


def bad_password(cfg):
    c = client(cfg, 'v311-badpw', password=cfg.password + '-wrong')
    connack = c.connect(expect_rc=None)
    try:
        c.c.loop_stop()
    except Exception:
        pass
    expect(connack['rc'] == 4, 'a wrong password: CONNACK return code %s, expected 4 (bad user name or password)' % connack['rc'])
    return {'rc': connack['rc']}


if __name__ == '__main__':
    run({'basic': basic, 'will': will, 'persistent-session': persistent_session, 'redelivery': redelivery, 'mixed': mixed, 'keepalive-limit': keepalive_limit, 'bad-password': bad_password})
