"""MQTT 5 message scenarios with paho, after what the Eclipse Paho interoperability suite checks (our own code):
basic, retained, user-properties, payload-format, request-response, dollar-topics, unsubscribe, overlapping,
subscription-identifiers, subscribe-options, subscribe-failure, client-topic-alias, server-topic-alias,
shared-subscriptions."""
import time

from common import Client, Failure, PacketTypes, RawClient, SubscribeOptions, expect, props, run, wait_until

USER_PROPERTIES = [['a', '1'], ['a', '2'], ['c', '3']]  # order and repeated keys are kept [MQTT-3.3.2-18]


def user_props(packet_type=PacketTypes.PUBLISH):
    return props(packet_type, UserProperty=[tuple(kv) for kv in USER_PROPERTIES])


def pair(cfg, name):
    sub = Client(cfg, '%s-%s-sub' % (cfg.prefix, name))
    sub.connect()
    pub = Client(cfg, '%s-%s-pub' % (cfg.prefix, name))
    pub.connect()
    return sub, pub


def settle(sub, pub, topic, grace=0.5):
    """A last message on `topic` through the same path; once it is in, anything sent before it had its chance."""
    pub.publish(topic, 'fence', qos=1)
    sub.wait_messages(1, where=lambda m: m['topic'] == topic and m['payload'] == 'fence', what='the fence message on %s' % topic)
    time.sleep(grace)


def basic(cfg):
    p = cfg.prefix
    c = Client(cfg, '%s-basic' % p)
    connack = c.connect()
    expect(c.subscribe('%s/A' % p, qos=2) == [[2]], 'SUBACK not granted QoS 2')
    for qos in (0, 1, 2):
        c.publish('%s/A' % p, 'qos %d' % qos, qos=qos)
    got = c.wait_messages(3, what='the QoS 0, 1 and 2 messages back')
    expect(sorted((m['payload'], m['qos']) for m in got) == [('qos 0', 0), ('qos 1', 1), ('qos 2', 2)], 'round trip: %s' % got)
    c.disconnect()

    # A second CONNECT on one connection is a protocol error [MQTT-3.1.0-2]: the connection ends.
    raw = RawClient(cfg)
    raw.connect('%s-basic-raw' % p)
    expect(raw.read_until(2) is not None, 'no CONNACK to the raw client')
    raw.connect('%s-basic-raw' % p)
    second = raw.closed_with()
    raw.close()
    # A CONNECT naming another protocol [MQTT-3.1.2-1]: refused and closed.
    bad = RawClient(cfg)
    bad.connect('%s-basic-bad' % p, protocol_name='hj')
    third = bad.closed_with()
    bad.close()
    return {'connack': connack, 'secondConnect': second, 'badProtocolName': third}


def retained(cfg):
    p = cfg.prefix
    pub = Client(cfg, '%s-retained-pub' % p)
    pub.connect()
    topics = ['%s/qos%d' % (p, q) for q in (0, 1, 2)]
    for qos, topic in enumerate(topics):
        pub.publish(topic, 'retained qos %d' % qos, qos=qos, retain=True, properties=user_props())
    sub = Client(cfg, '%s-retained-sub' % p)
    sub.connect()
    sub.subscribe('+/+', qos=2)
    got = sub.wait_messages(3, where=lambda m: m['topic'] in topics, what='the 3 retained messages on +/+')
    problems = [m for m in got if not m['retain'] or m['properties'].get('UserProperty') != USER_PROPERTIES]
    expect(not problems, 'retained messages without the retain flag or their user properties: %s' % problems)
    for topic in topics:
        pub.publish(topic, b'', qos=1, retain=True)
    # Cleared: a new subscriber gets none of them.
    late = Client(cfg, '%s-retained-late' % p)
    late.connect()
    late.subscribe('%s/+' % p, qos=1)
    settle(late, pub, '%s/fence' % p)
    left = late.received(where=lambda m: m['topic'] in topics)
    expect(not left, 'retained messages left after clearing them: %s' % left)
    return {'received': got}


def user_properties(cfg):
    p = cfg.prefix
    sub, pub = pair(cfg, 'userprops')
    sub.subscribe('%s/A' % p, qos=2)
    for qos in (0, 1, 2):
        pub.publish('%s/A' % p, 'qos %d' % qos, qos=qos, properties=user_props())
    got = sub.wait_messages(3)
    wrong = [m for m in got if m['properties'].get('UserProperty') != USER_PROPERTIES]
    expect(not wrong, 'user properties not forwarded as sent (%s): %s' % (USER_PROPERTIES, wrong))
    return {'received': got}


def payload_format(cfg):
    p = cfg.prefix
    sub, pub = pair(cfg, 'pfi')
    sub.subscribe('%s/A' % p, qos=2)
    for qos in (0, 1, 2):
        pub.publish('%s/A' % p, '{"qos": %d}' % qos, qos=qos, properties=props(PacketTypes.PUBLISH, PayloadFormatIndicator=1, ContentType='application/json'))
    got = sub.wait_messages(3)
    wrong = [m for m in got if m['properties'].get('PayloadFormatIndicator') != 1 or m['properties'].get('ContentType') != 'application/json']
    expect(not wrong, 'Payload Format Indicator / Content Type not forwarded: %s' % wrong)
    return {'received': got}


def request_response(cfg):
    p = cfg.prefix
    responder, requester = pair(cfg, 'reqresp')
    responder.subscribe('%s/request' % p, qos=1)
    reply_to = '%s/response/%s' % (p, 'requester')
    requester.subscribe(reply_to, qos=1)

    def answer(m):
        rt = m['properties'].get('ResponseTopic')
        if m['topic'] == '%s/request' % p and rt:
            cd = m['properties'].get('CorrelationData', '').encode()
            responder.c.publish(rt, 'pong: ' + m['payload'], qos=1, properties=props(PacketTypes.PUBLISH, CorrelationData=cd))
    responder.on_message = answer
    requester.publish('%s/request' % p, 'ping', qos=1, properties=props(PacketTypes.PUBLISH, ResponseTopic=reply_to, CorrelationData=b'req-42'))
    request = responder.wait_messages(1)[0]
    expect(request['properties'].get('ResponseTopic') == reply_to and request['properties'].get('CorrelationData') == 'req-42', 'the request lost its Response Topic or Correlation Data: %s' % request)
    reply = requester.wait_messages(1, what='the response')[0]
    expect(reply['payload'] == 'pong: ping' and reply['properties'].get('CorrelationData') == 'req-42', 'response: %s' % reply)
    return {'request': request, 'response': reply}


def dollar_topics(cfg):
    p = cfg.prefix
    sub, pub = pair(cfg, 'dollar')
    sub.subscribe('+/+', qos=1)
    pub.publish('$%s/B' % p, 'dollar', qos=1)
    pub.publish('%s/B' % p, 'plain', qos=1)
    settle(sub, pub, '%s/fence' % p)
    dollars = sub.received(where=lambda m: m['topic'].startswith('$'))
    expect(not dollars, '+/+ matched topics beginning with $ [MQTT-4.7.2-1]: %s' % dollars)
    expect(sub.received(where=lambda m: m['topic'] == '%s/B' % p), 'the plain message did not arrive')
    # Subscribed explicitly, the $ topic is delivered.
    sub.subscribe('$%s/+' % p, qos=1)
    pub.publish('$%s/B' % p, 'dollar again', qos=1)
    got = sub.wait_messages(1, where=lambda m: m['topic'] == '$%s/B' % p, what='the $ topic on its explicit subscription')
    return {'explicit': got[0]}


def unsubscribe(cfg):
    p = cfg.prefix
    sub, pub = pair(cfg, 'unsub')
    topics = ['%s/A' % p, '%s/B' % p, '%s/C' % p]
    for t in topics:
        sub.subscribe(t, qos=2)
    unsuback = sub.unsubscribe(topics[1])
    expect(unsuback in ([[0]], [[]]), 'UNSUBACK: %s' % unsuback)
    for t in topics:
        pub.publish(t, 'to ' + t, qos=1)
    settle(sub, pub, topics[0])
    got = sorted({m['topic'] for m in sub.received() if m['payload'] != 'fence'})
    expect(got == [topics[0], topics[2]], 'after unsubscribing %s: received on %s' % (topics[1], got))
    never = sub.unsubscribe('%s/never' % p)
    return {'unsuback': unsuback, 'unsubackNoSubscription': never}


def overlapping(cfg):
    """Two subscriptions of one client match one message: one copy at the higher QoS, or one copy per subscription."""
    p = cfg.prefix
    sub, pub = pair(cfg, 'overlap')
    sub.subscribe('%s/A/#' % p, qos=2)
    sub.subscribe('%s/A/+' % p, qos=1)
    pub.publish('%s/A/B' % p, 'overlapping', qos=2)
    settle(sub, pub, '%s/A/fence' % p)
    got = [m for m in sub.received() if m['payload'] == 'overlapping']
    qos = sorted(m['qos'] for m in got)
    expect(qos in ([2], [1, 2]), 'overlapping subscriptions at QoS 2 and 1 delivered QoS %s (expected one copy at QoS 2, or two at QoS 2 and 1) [MQTT-3.3.4-2]' % qos)
    return {'qos': qos}


def subscription_identifiers(cfg):
    p = cfg.prefix
    sub, pub = pair(cfg, 'si')
    sub.subscribe('%s/A' % p, qos=2, properties=props(PacketTypes.SUBSCRIBE, SubscriptionIdentifier=456789))
    pub.publish('%s/A' % p, 'one', qos=1)
    first = sub.wait_messages(1)[0]
    expect(first['properties'].get('SubscriptionIdentifier') == [456789], 'SI 456789 not echoed: %s' % first)
    sub.clear()
    sub.subscribe('%s/+/B' % p, qos=2, properties=props(PacketTypes.SUBSCRIBE, SubscriptionIdentifier=2))
    sub.subscribe('%s/C/+' % p, qos=2, properties=props(PacketTypes.SUBSCRIBE, SubscriptionIdentifier=3))
    pub.publish('%s/C/B' % p, 'two', qos=1)
    settle(sub, pub, '%s/A' % p)
    copies = [m for m in sub.received() if m['payload'] == 'two']
    carried = sorted(si for m in copies for si in m['properties'].get('SubscriptionIdentifier', []))
    # rumah sends one copy per subscription, each with its own identifier ([MQTT-3.3.4-5]; Node-RED compares a single
    # identifier), where Paho's suite wants one copy carrying both: either way each identifier must be there once.
    expect(carried == [2, 3], 'overlapping subscriptions with SI 2 and 3: copies carried %s' % [m['properties'] for m in copies])
    return {'copies': len(copies), 'identifiers': [m['properties'].get('SubscriptionIdentifier') for m in copies]}


def subscribe_options(cfg):
    p = cfg.prefix
    sub, pub = pair(cfg, 'subopts')
    # No Local: a client's own message on its no-local subscription is not sent back to it [MQTT-3.8.3-3].
    sub.subscribe('%s/nolocal' % p, options=SubscribeOptions(qos=1, noLocal=True))
    sub.publish('%s/nolocal' % p, 'own', qos=1)
    pub.publish('%s/nolocal' % p, 'theirs', qos=1)
    sub.wait_messages(1, where=lambda m: m['payload'] == 'theirs', what="the other client's message on the no-local subscription")
    time.sleep(0.5)
    own = sub.received(where=lambda m: m['payload'] == 'own')
    expect(not own, 'No Local: the client got its own message back: %s' % own)

    # Retain As Published: a live retained message keeps its retain flag only on a RAP subscription [MQTT-3.3.1-12/13].
    sub.subscribe('%s/rap/yes' % p, options=SubscribeOptions(qos=1, retainAsPublished=True))
    sub.subscribe('%s/rap/no' % p, options=SubscribeOptions(qos=1, retainAsPublished=False))
    pub.publish('%s/rap/yes' % p, 'live', qos=1, retain=True)
    pub.publish('%s/rap/no' % p, 'live', qos=1, retain=True)
    rap = {m['topic']: m['retain'] for m in sub.wait_messages(2, where=lambda m: m['payload'] == 'live', what='the two live retained messages')}
    expect(rap == {'%s/rap/yes' % p: True, '%s/rap/no' % p: False}, 'Retain As Published: retain flags %s' % rap)

    # Retain Handling 0: retained messages at every SUBSCRIBE; 1: only when the subscription is new; 2: never.
    topic = '%s/rh' % p
    pub.publish(topic, 'kept', qos=1, retain=True)
    results = {}
    for rh in (0, 1, 2):
        c = Client(cfg, '%s-rh%d' % (p, rh))
        c.connect()
        c.subscribe(topic, options=SubscribeOptions(qos=1, retainHandling=rh))
        c.subscribe(topic, options=SubscribeOptions(qos=1, retainHandling=rh))
        settle(c, pub, topic)
        results[rh] = len(c.received(where=lambda m: m['payload'] == 'kept'))
        c.disconnect()
    expect(results == {0: 2, 1: 1, 2: 0}, 'Retain Handling 0/1/2 (subscribed twice): retained copies %s, expected 2/1/0' % results)
    for t in ('%s/rap/yes' % p, '%s/rap/no' % p, topic):
        pub.publish(t, b'', qos=1, retain=True)
    return {'retainHandling': results, 'retainAsPublished': rap}


def subscribe_failure(cfg):
    """A device account may not subscribe to a wildcard over others' topics: SUBACK says so with a code >= 0x80."""
    device = cfg.device()
    c = Client(cfg, '%s-subfail' % cfg.prefix, username=device['username'], password=device['password'])
    c.connect()
    codes = c.subscribe('%s/#' % cfg.prefix, qos=1)
    expect(len(codes[0]) == 1 and codes[0][0] >= 0x80, 'a denied SUBSCRIBE was answered %s' % codes)
    # The connection goes on.
    ok = c.subscribe('%s/dev/set' % cfg.prefix, qos=1)
    expect(ok == [[1]], 'a later allowed SUBSCRIBE: %s' % ok)
    return {'denied': codes[0][0]}


def client_topic_alias(cfg):
    p = cfg.prefix
    sub = Client(cfg, '%s-alias-sub' % p)
    sub.connect()
    sub.subscribe('%s/#' % p, qos=1)
    pub = Client(cfg, '%s-alias-pub' % p)
    connack = pub.connect()
    maximum = connack['properties'].get('TopicAliasMaximum', 0)
    expect(maximum >= 1, 'the hub offers no topic aliases: %s' % connack)
    # Set alias 1 with a topic, then use it with an empty topic.
    pub.publish('%s/aliased' % p, 'first', qos=1, properties=props(PacketTypes.PUBLISH, TopicAlias=1))
    pub.publish('', 'second', qos=1, properties=props(PacketTypes.PUBLISH, TopicAlias=1))
    got = sub.wait_messages(2, what='both messages of the aliased topic')
    expect([(m['topic'], m['payload']) for m in got] == [('%s/aliased' % p, 'first'), ('%s/aliased' % p, 'second')], 'aliased messages: %s' % got)
    expect(all('TopicAlias' not in m['properties'] for m in got), 'the sender\'s alias was forwarded: %s' % got)
    pub.disconnect()

    # Aliases belong to a connection: a new connection using alias 1 without setting it is a protocol error.
    raw = RawClient(cfg)
    raw.connect('%s-alias-pub' % p, clean_start=False)
    expect(raw.read_until(2) is not None, 'no CONNACK')
    raw.publish('', 'third', qos=1, mid=1, properties=props(PacketTypes.PUBLISH, TopicAlias=1))
    reset = raw.closed_with()
    raw.close()
    # Topic Alias 0 is not allowed [MQTT-3.3.2-8]: DISCONNECT 0x94 (Topic Alias invalid).
    raw = RawClient(cfg)
    raw.connect('%s-alias-zero' % p)
    expect(raw.read_until(2) is not None, 'no CONNACK')
    body_props = b'\x03\x23\x00\x00'  # properties: length 3, Topic Alias (0x23) = 0
    topic = ('%s/zero' % p).encode()
    raw.send(0x30, len(topic).to_bytes(2, 'big') + topic + body_props + b'zero')
    zero = raw.closed_with()
    raw.close()
    # Over the maximum: 0x94 too.
    raw = RawClient(cfg)
    raw.connect('%s-alias-over' % p)
    expect(raw.read_until(2) is not None, 'no CONNACK')
    raw.publish('%s/over' % p, 'over', qos=0, properties=props(PacketTypes.PUBLISH, TopicAlias=maximum + 1))
    over = raw.closed_with()
    raw.close()
    time.sleep(0.3)
    leaked = sub.received(where=lambda m: m['payload'] in ('third', 'zero', 'over'))
    expect(not leaked, 'messages with invalid aliases were routed: %s' % leaked)
    expect(zero == ('disconnect', 0x94), 'Topic Alias 0: %s, expected DISCONNECT 0x94' % (zero,))
    expect(over[0] == 'disconnect' and over[1] == 0x94, 'Topic Alias over the maximum: %s, expected DISCONNECT 0x94' % (over,))
    expect(reset[0] == 'disconnect' and reset[1] >= 0x80, 'an alias of the previous connection: %s, expected a DISCONNECT >= 0x80' % (reset,))
    return {'topicAliasMaximum': maximum, 'aliasZero': zero, 'aliasOverMaximum': over, 'aliasFromLastConnection': reset}


def server_topic_alias(cfg):
    """With Topic Alias Maximum 1 in its CONNECT a client may get aliases from the broker [MQTT-3.3.2-10]: the Paho
    suite expects the first message on a topic to set alias 1 and the next ones to use it with an empty topic; a
    client that allows none (Topic Alias Maximum absent: 0) gets none [MQTT-3.3.2-9]."""
    p = cfg.prefix
    sub = Client(cfg, '%s-salias-sub' % p)
    sub.connect(properties=props(PacketTypes.CONNECT, TopicAliasMaximum=1))
    sub.subscribe('%s/A' % p, qos=1)
    plain = Client(cfg, '%s-salias-plain' % p)
    plain.connect()
    plain.subscribe('%s/A' % p, qos=1)
    pub = Client(cfg, '%s-salias-pub' % p)
    pub.connect()
    for i in range(3):
        pub.publish('%s/A' % p, 'm%d' % i, qos=1)
    # paho 1.6.1 does not resolve aliases itself: it hands the application the topic as sent (empty when aliased).
    got = sub.wait_messages(3)
    sent = [(m['topic'], m['properties'].get('TopicAlias')) for m in got]
    expect(sent == [('%s/A' % p, 1), ('', 1), ('', 1)], 'towards a client allowing 1 alias: (topic, alias) %s, expected the topic with alias 1, then alias 1 alone' % sent)
    unaliased = [(m['topic'], m['properties'].get('TopicAlias')) for m in plain.wait_messages(3)]
    expect(unaliased == [('%s/A' % p, None)] * 3, 'towards a client allowing none: %s' % unaliased)
    return {'aliased': sent, 'unaliased': unaliased}


def shared_subscriptions(cfg):
    p = cfg.prefix
    a = Client(cfg, '%s-shared-a' % p)
    a.connect()
    b = Client(cfg, '%s-shared-b' % p)
    b.connect()
    codes = [a.subscribe('$share/group/%s/A' % p, qos=1), b.subscribe('$share/group/%s/A' % p, qos=1)]
    expect(codes == [[[1]], [[1]]], 'SUBACK for $share/group/...: %s' % codes)
    pub = Client(cfg, '%s-shared-pub' % p)
    pub.connect()
    n = 10
    for i in range(n):
        pub.publish('%s/A' % p, 'm%d' % i, qos=1)
    wait_until(lambda: len(a.received()) + len(b.received()) >= n, 10, 'the %d shared messages' % n)
    time.sleep(0.5)
    total = len(a.received()) + len(b.received())
    expect(total == n, 'each message once to the group: got %d copies of %d' % (total, n))
    return {'a': len(a.received()), 'b': len(b.received())}


if __name__ == '__main__':
    run({
        'basic': basic,
        'retained': retained,
        'user-properties': user_properties,
        'payload-format': payload_format,
        'request-response': request_response,
        'dollar-topics': dollar_topics,
        'unsubscribe': unsubscribe,
        'overlapping': overlapping,
        'subscription-identifiers': subscription_identifiers,
        'subscribe-options': subscribe_options,
        'subscribe-failure': subscribe_failure,
        'client-topic-alias': client_topic_alias,
        'server-topic-alias': server_topic_alias,
        'shared-subscriptions': shared_subscriptions,
    })
