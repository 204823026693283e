"""MQTT 3.1.1 with paho (protocol=MQTTv311), the protocol of most device firmware: basic, will, persistent-session,
bad-password. Run with the admin account, or a device account (exact topics only: devices may not subscribe to
wildcards over others' topics)."""
import time

from common import Client, V311, expect, run


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
    run({'basic': basic, 'will': will, 'persistent-session': persistent_session, 'bad-password': bad_password})
