"""MQTT 5 limits with paho: server-keep-alive (run against a hub with mqtt.keepaliveLimit 60),
maximum-packet-size (the client's own limit on what it is sent), server-packet-size (the hub's limit, run against a
hub with a small mqtt.maxPacketSize, passed as --limit)."""
import sys
import time

from common import Client, PacketTypes, RawClient, expect, props, run


def server_keep_alive(cfg):
    c = Client(cfg, '%s-ska' % cfg.prefix)
    connack = c.connect(keepalive=120)
    ska = connack['properties'].get('ServerKeepAlive')
    expect(ska == 60, 'keepalive 120 against a limit of 60: CONNACK Server Keep Alive %s, expected 60' % ska)
    # paho takes the server's value [MQTT-3.1.2-21]; the connection works.
    c.subscribe('%s/ska' % cfg.prefix, qos=1)
    c.publish('%s/ska' % cfg.prefix, 'ok', qos=1)
    c.wait_messages(1)
    within = Client(cfg, '%s-ska-within' % cfg.prefix)
    below = within.connect(keepalive=30)
    expect('ServerKeepAlive' not in below['properties'] or below['properties']['ServerKeepAlive'] == 30, 'keepalive 30 within the limit: %s' % below)
    none = Client(cfg, '%s-ska-none' % cfg.prefix)
    zero = none.connect(keepalive=0)
    expect(zero['properties'].get('ServerKeepAlive') == 60, 'keepalive 0 (none) against a limit of 60: CONNACK Server Keep Alive %s, expected 60' % zero['properties'].get('ServerKeepAlive'))
    c.disconnect()
    return {'keepalive120': ska, 'keepalive30': below['properties'].get('ServerKeepAlive'), 'keepalive0': zero['properties'].get('ServerKeepAlive')}


def maximum_packet_size(cfg):
    """A client that can take 64-byte packets at most is not sent a larger message [MQTT-3.1.2-24]; the connection
    goes on, and other subscribers get the message."""
    p = cfg.prefix
    small = Client(cfg, '%s-mps' % p)
    small.connect(properties=props(PacketTypes.CONNECT, MaximumPacketSize=64))
    small.subscribe('%s/mps' % p, qos=1)
    big = Client(cfg, '%s-mps-big' % p)
    big.connect()
    big.subscribe('%s/mps' % p, qos=1)
    pub = Client(cfg, '%s-mps-pub' % p)
    pub.connect()
    for qos in (0, 1):
        pub.publish('%s/mps' % p, 'x' * 100, qos=qos)
    pub.publish('%s/mps' % p, 'small', qos=1)
    small.wait_messages(1, where=lambda m: m['payload'] == 'small', what='the small message')
    big.wait_messages(3, what='all three messages at the client without a limit')
    time.sleep(0.3)
    large = small.received(where=lambda m: len(m['payload']) == 100)
    expect(not large, 'messages over the client\'s Maximum Packet Size were sent to it: %s' % large)
    expect(small.disconnected is None, 'the small client was disconnected: %s' % small.disconnected)
    # Its own publishes are not limited by its own maximum.
    pub.subscribe('%s/mps/back' % p, qos=1)
    small.publish('%s/mps/back' % p, 'y' * 200, qos=1)
    pub.wait_messages(1, where=lambda m: m['topic'] == '%s/mps/back' % p)
    return {'deliveredToSmall': [m['payload'] for m in small.received()]}


def server_packet_size(cfg):
    """The hub advertises its mqtt.maxPacketSize as Maximum Packet Size; a larger PUBLISH ends the connection with
    DISCONNECT 0x95 (Packet too large) and is not routed."""
    limit = int(cfg.extra('limit'))
    p = cfg.prefix
    watcher = Client(cfg, '%s-sps-watch' % p)
    connack = watcher.connect()
    expect(connack['properties'].get('MaximumPacketSize') == limit, 'CONNACK Maximum Packet Size %s, expected %s' % (connack['properties'].get('MaximumPacketSize'), limit))
    watcher.subscribe('%s/sps' % p, qos=1)
    raw = RawClient(cfg)
    raw.connect('%s-sps-raw' % p)
    expect(raw.read_until(2) is not None, 'no CONNACK')
    raw.publish('%s/sps' % p, 'z' * (limit + 100), qos=1, mid=1)
    ended = raw.closed_with()
    raw.close()
    expect(ended == ('disconnect', 0x95), 'a PUBLISH over the limit: %s, expected DISCONNECT 0x95' % (ended,))
    pub = Client(cfg, '%s-sps-pub' % p)
    pub.connect()
    pub.publish('%s/sps' % p, 'fits', qos=1)
    watcher.wait_messages(1, where=lambda m: m['payload'] == 'fits')
    time.sleep(0.3)
    expect(len(watcher.received()) == 1, 'the oversize message was routed: %d messages' % len(watcher.received()))
    return {'advertised': limit, 'oversize': ended}


def receive_maximum(cfg):
    """A client's Receive Maximum 2: at most 2 QoS 1 PUBLISHes unacknowledged towards it; the third waits for a PUBACK
    [MQTT-3.3.4-9], then comes, and the order is kept."""
    p = cfg.prefix
    raw = RawClient(cfg, timeout=10)
    raw.connect('%s-rm' % p, properties=props(PacketTypes.CONNECT, ReceiveMaximum=2))
    expect(raw.read_until(2) is not None, 'no CONNACK')
    raw.subscribe(1, '%s/rm' % p, 1)
    expect(raw.read_until(9) is not None, 'no SUBACK')
    pub = Client(cfg, '%s-rm-pub' % p)
    pub.connect()
    for i in range(3):
        pub.publish('%s/rm' % p, 'm%d' % i, qos=1)

    def publish_of(packet):
        body = packet[2]
        n = int.from_bytes(body[:2], 'big')
        mid = int.from_bytes(body[2 + n:4 + n], 'big')
        props_len = body[4 + n]  # small: below 128
        return mid, body[5 + n + props_len:].decode()
    first = [publish_of(raw.read_until(3)) for _ in range(2)]
    # The third must not come while two are unacknowledged: wait a little for it (absence cannot be proven sooner).
    raw.sock.settimeout(1.0)
    try:
        early = raw.read()
    except OSError:
        early = None
    expect(early is None, 'a third PUBLISH came with 2 unacknowledged and Receive Maximum 2: %s' % (early,))
    raw.send(0x40, first[0][0].to_bytes(2, 'big'))  # PUBACK the first
    raw.sock.settimeout(10)
    third = raw.read_until(3)
    expect(third is not None, 'the third message never came after a PUBACK')
    got = [payload for _, payload in first] + [publish_of(third)[1]]
    expect(got == ['m0', 'm1', 'm2'], 'order: %s' % got)
    raw.close()
    return {'received': got}


if __name__ == '__main__':
    run({'receive-maximum': receive_maximum, 'server-keep-alive': server_keep_alive, 'maximum-packet-size': maximum_packet_size, 'server-packet-size': server_packet_size})
