"""MQTT 5 session scenarios with paho, after what the Eclipse Paho interoperability suite checks (our own code):
will, normal-disconnect, will-delay, zero-length-clientid, offline-queueing, redelivery, session-expiry, session-present, publication-expiry."""
import time

from common import Client, Failure, PacketTypes, RawClient, expect, props, run, wait_until


def sei(seconds):
    return props(PacketTypes.CONNECT, SessionExpiryInterval=seconds)


def will(cfg):
    """A will with user properties (and a Will Delay Interval of 0) is published when the client's keepalive lapses;
    the delivered PUBLISH carries the user properties and no Will Delay Interval, a CONNECT-only property that
    paho's codec refuses in a PUBLISH."""
    p = cfg.prefix
    watcher = Client(cfg, '%s-will-watcher' % p)
    watcher.connect()
    watcher.subscribe('%s/will' % p, qos=2)
    dying = Client(cfg, '%s-will-dying' % p)
    will_props = props(PacketTypes.WILLMESSAGE, WillDelayInterval=0, UserProperty=[('a', '2'), ('c', '3')], ContentType='text/plain')
    dying.will('%s/will' % p, 'gone', qos=1, properties=will_props)
    # keepalive 2 s, and no network loop after the CONNACK: no PINGREQ ever, the broker gives up after 1.5 x 2 s.
    dying.connect(keepalive=2, loop=False)
    got = watcher.wait_messages(1, timeout=15, what='the will after the keepalive lapsed')[0]
    expect(got['payload'] == 'gone' and got['qos'] == 1, 'will: %s' % got)
    expect(got['properties'].get('UserProperty') == [['a', '2'], ['c', '3']], 'the will lost its user properties: %s' % got)
    expect(got['properties'].get('ContentType') == 'text/plain', 'the will lost its content type: %s' % got)
    expect('WillDelayInterval' not in got['properties'], 'the will was published with its Will Delay Interval: %s' % got)
    # paho's codec would have refused the PUBLISH (and dropped the connection) had it carried WillDelayInterval.
    expect(watcher.disconnected is None, 'the watcher was disconnected: %s' % watcher.disconnected)
    return {'will': got}


def normal_disconnect(cfg):
    """A DISCONNECT with reason 0x00 ends the connection without the will [MQTT-3.1.2-10], in each of its encodings:
    paho's 2 bytes e0 00 (Reason Code and Property Length omitted, as 3.14.2.1 allows), e0 01 00 (no Property
    Length), e0 02 00 00. The server closes the connection without a DISCONNECT of its own."""
    p = cfg.prefix
    watcher = Client(cfg, '%s-nd-watch' % p)
    watcher.connect()
    watcher.subscribe('%s/nd/+' % p, qos=1)
    answers = {}
    for name, body in (('empty', b''), ('reasononly', b'\x00'), ('full', b'\x00\x00')):
        raw = RawClient(cfg)
        raw.connect('%s-nd-%s' % (p, name), will=('%s/nd/%s' % (p, name), 'will of ' + name))
        expect(raw.read_until(2) is not None, 'no CONNACK')
        raw.send(0xE0, body)
        answers[name] = raw.closed_with()
        raw.close()
    polite = Client(cfg, '%s-nd-paho' % p)
    polite.will('%s/nd/paho' % p, 'will of paho', qos=1)
    polite.connect()
    polite.disconnect()
    fence = Client(cfg, '%s-nd-fence' % p)
    fence.connect()
    fence.publish('%s/nd/fence' % p, 'fence', qos=1)
    watcher.wait_messages(1, where=lambda m: m['payload'] == 'fence')
    time.sleep(0.5)
    wills = sorted(m['payload'] for m in watcher.received() if m['payload'] != 'fence')
    expect(not wills and all(a == ('closed', None) for a in answers.values()), 'after a normal DISCONNECT: wills published %s; the server answered %s' % (wills, answers))
    return {'answers': answers}


def will_delay(cfg):
    """Will Delay Interval [MQTT-3.1.3-9, 3.1.2.5]: the will is published when the delay ends or the session does,
    whichever is first; not at all when the client comes back in time; at once on DISCONNECT 0x04 (with will)."""
    from paho.mqtt.reasoncodes import ReasonCodes
    p = cfg.prefix
    watcher = Client(cfg, '%s-wd-watch' % p)
    watcher.connect()
    watcher.subscribe('%s/wd/+' % p, qos=1)

    def dying(name, delay, expiry):
        c = Client(cfg, '%s-wd-%s' % (p, name))
        c.will('%s/wd/%s' % (p, name), 'will of ' + name, qos=1, properties=props(PacketTypes.WILLMESSAGE, WillDelayInterval=delay))
        c.connect(properties=sei(expiry) if expiry else None)
        return c

    # Delay 2 s, session 10 s: published after the delay.
    dying('delayed', 2, 10).drop()
    # Delay 30 s, no session expiry: the session ends with the connection, and the will goes then.
    dying('sessionend', 30, 0).drop()
    # Delay 5 s, session 60 s, back at once: no will.
    # (With a subscription: aedes reports Session Present only for a session with subscriptions; see session-present.)
    leaving = dying('back', 5, 60)
    leaving.subscribe('%s/wd/back/x' % p, qos=1)
    leaving.drop()
    left_at = time.monotonic()
    back = Client(cfg, '%s-wd-back' % p)
    resumed = back.connect(clean_start=False, properties=sei(0))
    expect(resumed['session_present'], 'the session of the client back in time was not present: %s' % resumed)
    # DISCONNECT 0x04, Disconnect with Will Message: published although the client said DISCONNECT.
    withwill = dying('withwill', 0, 0)
    withwill.c.disconnect(reasoncode=ReasonCodes(PacketTypes.DISCONNECT, identifier=4))
    watcher.wait_messages(3, timeout=15, where=lambda m: m['payload'] in ('will of delayed', 'will of sessionend', 'will of withwill'), what='the wills of delayed, sessionend and withwill')
    # Until the delay of the client that came back has passed, and a little more: no will of it.
    time.sleep(max(0.5, left_at + 5 + 1 - time.monotonic()))
    wills = sorted(m['payload'] for m in watcher.received())
    expect(wills == ['will of delayed', 'will of sessionend', 'will of withwill'], 'wills published: %s' % wills)
    leaked = [m for m in watcher.received() if 'WillDelayInterval' in m['properties']]
    expect(not leaked, 'wills published with their Will Delay Interval: %s' % leaked)
    back.disconnect()
    return {'wills': wills}


def session_present(cfg):
    """Session Present is 1 whenever the server has Session State for the client id [MQTT-3.2.2-2]: also for a session
    without subscriptions (a publisher with a Session Expiry Interval, a session that unsubscribed from everything)."""
    p = cfg.prefix
    out = {}
    for subscribed in (True, False):
        cid = '%s-sp-%s' % (p, 'subscribed' if subscribed else 'bare')
        c = Client(cfg, cid)
        c.connect(properties=sei(60))
        if subscribed:
            c.subscribe('%s/sp' % p, qos=1)
        c.disconnect()
        c = Client(cfg, cid)
        out['subscribed' if subscribed else 'withoutSubscriptions'] = c.connect(clean_start=False, properties=sei(0))['session_present']
        c.disconnect()
    expect(out == {'subscribed': True, 'withoutSubscriptions': True}, 'Session Present after a session with Session Expiry 60: %s' % out)
    return {'sessionPresent': out}


def zero_length_clientid(cfg):
    results = {}
    for clean in (True, False):
        c = Client(cfg, '')
        connack = c.connect(clean_start=clean)
        assigned = connack['properties'].get('AssignedClientIdentifier')
        expect(isinstance(assigned, str) and assigned, 'an empty client id with clean start %s: no Assigned Client Identifier in %s' % (clean, connack))
        # The assigned id works for a normal round trip.
        c.subscribe('%s/zero' % cfg.prefix, qos=1)
        c.publish('%s/zero' % cfg.prefix, 'hello', qos=1)
        c.wait_messages(1)
        c.disconnect()
        results['cleanStart' + str(clean)] = assigned
    expect(results['cleanStartTrue'] != results['cleanStartFalse'], 'the same id was assigned twice: %s' % results)
    return {'assigned': results}


def offline_queueing(cfg):
    """A session with a Session Expiry Interval outlives its connection; messages for it are queued, and a reconnect
    with Clean Start 0 resumes it (here without Session Expiry: the session then ends with that connection)."""
    p = cfg.prefix
    cid = '%s-offline' % p
    c = Client(cfg, cid)
    first = c.connect(clean_start=True, properties=sei(99999))
    c.subscribe('%s/+' % p, qos=2)
    c.disconnect()
    pub = Client(cfg, '%s-offline-pub' % p)
    pub.connect()
    for qos in (0, 1, 2):
        pub.publish('%s/q%d' % (p, qos), 'queued qos %d' % qos, qos=qos)
    pub.disconnect()
    c = Client(cfg, cid)
    resumed = c.connect(clean_start=False)
    expect(resumed['session_present'], 'reconnect with Clean Start 0: session not present: %s' % resumed)
    got = c.wait_messages(2, where=lambda m: m['payload'].startswith('queued'), what='the queued QoS 1 and 2 messages')
    time.sleep(0.3)
    got = c.received(where=lambda m: m['payload'].startswith('queued'))
    payloads = sorted(m['payload'] for m in got)
    expect(payloads in (['queued qos 1', 'queued qos 2'], ['queued qos 0', 'queued qos 1', 'queued qos 2']), 'queued messages delivered: %s' % payloads)
    # Sent for the first time: no DUP flag [MQTT-3.3.1-2].
    expect(not [m for m in got if m['dup']], 'queued messages sent for the first time flagged DUP: %s' % got)
    c.disconnect()
    # That connection had no Session Expiry: the session ended with it.
    c = Client(cfg, cid)
    after = c.connect(clean_start=False)
    c.disconnect()
    expect(not after['session_present'], 'the resumed session outlived a connection without Session Expiry: %s' % after)
    return {'firstConnack': first, 'resumed': resumed, 'received': payloads}


def redelivery(cfg):
    """QoS 1 and 2 messages sent to a session but not acknowledged are sent again, flagged DUP, when it resumes."""
    p = cfg.prefix
    cid = '%s-redeliver' % p
    raw = RawClient(cfg)
    raw.connect(cid, clean_start=True, properties=sei(300))
    expect(raw.read_until(2) is not None, 'no CONNACK')
    raw.subscribe(1, '%s/r/+' % p, 2)
    suback = raw.read_until(9)
    expect(suback is not None and suback[2][-1] == 2, 'SUBACK: %s' % (suback,))
    pub = Client(cfg, '%s-redeliver-pub' % p)
    pub.connect()
    pub.publish('%s/r/1' % p, 'qos 1', qos=1)
    pub.publish('%s/r/2' % p, 'qos 2', qos=2)
    seen = []
    while len(seen) < 2:
        packet = raw.read_until(3)
        expect(packet is not None, 'the raw subscriber lost its connection before both messages came')
        topic_length = int.from_bytes(packet[2][:2], 'big')
        seen.append(((packet[1] >> 1) & 3, int.from_bytes(packet[2][2 + topic_length:4 + topic_length], 'big')))
    raw.close()  # without PUBACK or PUBREC, and without DISCONNECT
    c = Client(cfg, cid)
    resumed = c.connect(clean_start=False, properties=sei(0))
    expect(resumed['session_present'], 'session not present: %s' % resumed)
    got = c.wait_messages(2, what='both unacknowledged messages again')
    again = sorted((m['payload'], m['qos'], m['dup']) for m in got)
    ids = sorted((m['qos'], m['mid']) for m in got)
    # Sent again with their original packet identifiers [MQTT-4.4.0-1], flagged DUP [MQTT-3.3.1-1].
    expect(ids == sorted(seen), 'redelivered with packet identifiers %s, first sent with %s' % (ids, sorted(seen)))
    expect(again == [('qos 1', 1, True), ('qos 2', 2, True)], 'redelivered (payload, QoS, DUP): %s' % again)
    c.disconnect()
    return {'firstDelivery': sorted(seen), 'redelivered': again}


def session_expiry(cfg):
    p = cfg.prefix
    cid = '%s-expiry' % p
    steps = {}

    def reconnect(label, properties=None, clean_start=False):
        c = Client(cfg, cid)
        connack = c.connect(clean_start=clean_start, properties=properties)
        steps[label] = connack['session_present']
        return c

    # SEI 0 (absent): the session ends with the connection.
    c = reconnect('first', clean_start=True)
    c.subscribe('%s/x' % p, qos=1)
    c.disconnect()
    c = reconnect('afterSei0', properties=sei(5))
    # SEI 5: the session is kept after this connection.
    c.subscribe('%s/x' % p, qos=1)
    c.disconnect()
    c = reconnect('afterSei5', properties=sei(1))
    # SEI 1 at CONNECT, raised to 5 on DISCONNECT: kept more than 1 s.
    c.disconnect(properties=props(PacketTypes.DISCONNECT, SessionExpiryInterval=5))
    time.sleep(2.5)
    c = reconnect('afterSei1UpdatedTo5', properties=sei(5))
    # SEI 5 at CONNECT, set to 0 on DISCONNECT: ended at once.
    c.disconnect(properties=props(PacketTypes.DISCONNECT, SessionExpiryInterval=0))
    c = reconnect('afterUpdateTo0', properties=sei(1))
    # SEI 1: expired after 1 s.
    c.disconnect()
    time.sleep(2.5)
    c = reconnect('afterSei1Expired')
    c.disconnect()
    expected = {'first': False, 'afterSei0': False, 'afterSei5': True, 'afterSei1UpdatedTo5': True, 'afterUpdateTo0': False, 'afterSei1Expired': False}
    expect(steps == expected, 'Session Present along the way: %s, expected %s' % (steps, expected))
    return {'sessionPresent': steps}


def publication_expiry(cfg):
    """A message's Message Expiry Interval counts while it waits: gone when it lapsed, lowered when it did not
    [MQTT-3.3.2-5/6]; the same for retained messages."""
    p = cfg.prefix
    cid = '%s-pubexp' % p
    c = Client(cfg, cid)
    c.connect(clean_start=True, properties=sei(99999))
    c.subscribe('%s/e/+' % p, qos=2)
    c.disconnect()
    pub = Client(cfg, '%s-pubexp-pub' % p)
    pub.connect()
    pub.publish('%s/e/short1' % p, 'expires', qos=1, properties=props(PacketTypes.PUBLISH, MessageExpiryInterval=1))
    pub.publish('%s/e/short2' % p, 'expires', qos=2, properties=props(PacketTypes.PUBLISH, MessageExpiryInterval=1))
    pub.publish('%s/e/long1' % p, 'lives', qos=1, properties=props(PacketTypes.PUBLISH, MessageExpiryInterval=6))
    pub.publish('%s/e/long2' % p, 'lives', qos=2, properties=props(PacketTypes.PUBLISH, MessageExpiryInterval=6))
    pub.publish('%s/e/rshort' % p, 'expires', qos=1, retain=True, properties=props(PacketTypes.PUBLISH, MessageExpiryInterval=1))
    pub.publish('%s/e/rlong' % p, 'lives', qos=1, retain=True, properties=props(PacketTypes.PUBLISH, MessageExpiryInterval=6))
    time.sleep(2.5)
    c = Client(cfg, cid)
    resumed = c.connect(clean_start=False)
    expect(resumed['session_present'], 'session not present: %s' % resumed)
    c.wait_messages(2, where=lambda m: m['payload'] == 'lives', what='the two queued messages still alive')
    time.sleep(0.5)
    queued = c.received()
    expect(not [m for m in queued if m['payload'] == 'expires'], 'queued messages delivered after their expiry: %s' % queued)
    mei = [m['properties'].get('MessageExpiryInterval') for m in queued]
    expect(all(v is not None and v < 6 for v in mei), 'queued messages without a lowered Message Expiry Interval: %s' % queued)
    # Retained: a new subscriber after 2.5 s gets the long one, lowered, and not the short one.
    late = Client(cfg, '%s-pubexp-late' % p)
    late.connect()
    late.subscribe('%s/e/+' % p, qos=1)
    late.wait_messages(1, where=lambda m: m['retain'] and m['payload'] == 'lives', what='the retained message still alive')
    pub.publish('%s/e/fence' % p, 'fence', qos=1)
    late.wait_messages(1, where=lambda m: m['payload'] == 'fence')
    time.sleep(0.3)
    retained = late.received(where=lambda m: m['retain'])
    expect(len(retained) == 1 and retained[0]['topic'] == '%s/e/rlong' % p and retained[0]['properties'].get('MessageExpiryInterval', 99) < 6, 'retained messages with expiry: %s' % retained)
    pub.publish('%s/e/rlong' % p, b'', qos=1, retain=True)
    c.disconnect()
    return {'queued': [(m['topic'], m['properties'].get('MessageExpiryInterval')) for m in queued], 'retained': retained[0]['properties']}


if __name__ == '__main__':
    run({
        'will': will,
        'normal-disconnect': normal_disconnect,
        'will-delay': will_delay,
        'zero-length-clientid': zero_length_clientid,
        'offline-queueing': offline_queueing,
        'redelivery': redelivery,
        'session-expiry': session_expiry,
        'session-present': session_present,
        'publication-expiry': publication_expiry,
    })
