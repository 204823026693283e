"""Shared helpers of the paho-mqtt interoperability scripts (test/flows/mqtt5-paho*.test.ts runs them).

Each script is run as `/usr/bin/python3 -B test/paho/<script>.py --scenario NAME --host H --port P --username U
--password PW [--device-username DU --device-password DPW] --prefix PFX [--extra name=value]`. It prints one JSON line on stdout,
{"ok": true, "scenario": ..., ...facts}, and exits 0; on a failed expectation it prints {"ok": false, "error": ...},
writes the message on stderr, and exits 1. Every wait is bounded, and a watchdog ends a stuck script (exit 3).

Written for Debian's python3-paho-mqtt 1.6.1, the paho API of Home Assistant's era before paho 2.
"""
import argparse
import json
import os
import socket
import struct
import sys
import threading
import time
import traceback

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.subscribeoptions import SubscribeOptions

V5 = mqtt.MQTTv5
V311 = mqtt.MQTTv311

__all__ = ['Failure', 'Client', 'RawClient', 'run', 'props', 'props_dict', 'wait_until', 'expect', 'SubscribeOptions', 'PacketTypes', 'Properties', 'V5', 'V311']


class Failure(Exception):
    """An expectation of the scenario that the broker did not meet."""


def expect(condition, message):
    if not condition:
        raise Failure(message)


def wait_until(condition, timeout, what):
    """Polls `condition` until it is truthy, for at most `timeout` seconds; returns its value or raises Failure."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise Failure('timed out after %ss waiting for %s' % (timeout, what))
        time.sleep(0.02)


def props(packet_type, **values):
    """A paho Properties object for `packet_type` (PacketTypes.PUBLISH, CONNECT, ...) with the given values."""
    p = Properties(packet_type)
    for name, value in values.items():
        setattr(p, name, value)
    return p


def props_dict(p):
    """Properties as plain JSON-able data (bytes as text, user properties as [key, value] pairs)."""
    if p is None:
        return {}
    out = {}
    for name in p.names.keys():
        key = name.replace(' ', '')
        if hasattr(p, key):
            value = getattr(p, key)
            if isinstance(value, (bytes, bytearray)):
                value = bytes(value).decode('utf-8', 'replace')
            elif key == 'UserProperty':
                value = [[k, v] for (k, v) in value]
            out[key] = value
    return out


class Client:
    """A paho client run by its network thread, recording what the broker sent, with bounded waits for each step."""

    def __init__(self, cfg, client_id, protocol=V5, username=None, password=None, clean_session=None):
        self.cfg = cfg
        self.protocol = protocol
        kwargs = {'protocol': protocol, 'reconnect_on_failure': False}
        if protocol != V5:
            kwargs['clean_session'] = True if clean_session is None else clean_session
        self.c = mqtt.Client(client_id=client_id, **kwargs)
        self.c.username_pw_set(cfg.username if username is None else username, cfg.password if password is None else password)
        self.lock = threading.Lock()
        self.messages = []
        self.connack = None
        self.disconnected = None
        self.acks = {}
        self.completed = set()
        self.on_message = None
        self.c.on_connect = self._on_connect
        self.c.on_message = self._on_message
        self.c.on_disconnect = self._on_disconnect
        self.c.on_subscribe = self._on_subscribe
        self.c.on_unsubscribe = self._on_unsubscribe
        self.c.on_publish = self._on_publish

    # paho callbacks (network thread)
    def _on_connect(self, client, userdata, flags, rc, properties=None):
        with self.lock:
            code = rc.value if hasattr(rc, 'value') else rc
            self.connack = {'rc': code, 'session_present': bool(flags.get('session present')), 'properties': props_dict(properties)}

    def _on_disconnect(self, client, userdata, rc, properties=None):
        with self.lock:
            code = rc.value if hasattr(rc, 'value') else rc
            self.disconnected = {'rc': code, 'properties': props_dict(properties)}

    def _on_message(self, client, userdata, msg):
        record = {
            'topic': msg.topic,
            'payload': msg.payload.decode('utf-8', 'replace'),
            'qos': msg.qos,
            'retain': bool(msg.retain),
            'dup': bool(msg.dup),
            'mid': msg.mid,
            'properties': props_dict(getattr(msg, 'properties', None)),
        }
        with self.lock:
            self.messages.append(record)
        if self.on_message:
            self.on_message(record)

    def _on_subscribe(self, client, userdata, mid, granted, properties=None):
        with self.lock:
            self.acks[mid] = [g.value if hasattr(g, 'value') else g for g in granted]

    def _on_unsubscribe(self, client, userdata, mid, properties=None, reasons=None):
        with self.lock:
            if isinstance(reasons, list):
                self.acks[mid] = [r.value if hasattr(r, 'value') else r for r in reasons]
            elif reasons is not None:
                self.acks[mid] = [reasons.value if hasattr(reasons, 'value') else reasons]
            else:
                self.acks[mid] = []

    def _on_publish(self, client, userdata, mid):
        with self.lock:
            self.completed.add(mid)

    # steps
    def will(self, topic, payload, qos=0, retain=False, properties=None):
        self.c.will_set(topic, payload, qos=qos, retain=retain, properties=properties)
        return self

    def connect(self, clean_start=True, keepalive=60, properties=None, expect_rc=0, timeout=10, loop=True):
        """Connects; with loop=False the network loop is run here only until the CONNACK, then no more (no pings)."""
        self.connack = None
        self.disconnected = None
        if self.protocol == V5:
            self.c.connect(self.cfg.host, self.cfg.port, keepalive=keepalive, clean_start=clean_start, properties=properties)
        else:
            self.c.connect(self.cfg.host, self.cfg.port, keepalive=keepalive)
        if loop:
            self.c.loop_start()
            wait_until(lambda: self.connack or self.disconnected, timeout, 'CONNACK')
        else:
            deadline = time.monotonic() + timeout
            while self.connack is None and time.monotonic() < deadline:
                self.c.loop(0.05)
            expect(self.connack is not None, 'no CONNACK within %ss' % timeout)
        expect(self.connack is not None, 'connection closed before CONNACK (%s)' % self.disconnected)
        if expect_rc is not None:
            expect(self.connack['rc'] == expect_rc, 'CONNACK reason code %s, expected %s' % (self.connack['rc'], expect_rc))
        return self.connack

    def subscribe(self, topic, qos=0, properties=None, options=None, timeout=10):
        """SUBSCRIBE (one filter, or a list of (filter, qos or SubscribeOptions)); returns the SUBACK codes."""
        if isinstance(topic, list):
            rc, mid = self.c.subscribe(topic, properties=properties) if self.protocol == V5 else self.c.subscribe(topic)
        elif self.protocol == V5:
            rc, mid = self.c.subscribe(topic, options=options or SubscribeOptions(qos=qos), properties=properties)
        else:
            rc, mid = self.c.subscribe(topic, qos)
        expect(rc == mqtt.MQTT_ERR_SUCCESS, 'SUBSCRIBE not sent: %s' % rc)
        return wait_until(lambda: self._take_ack(mid), timeout, 'SUBACK for %s' % (topic,))

    def unsubscribe(self, topic, timeout=10):
        rc, mid = self.c.unsubscribe(topic)
        expect(rc == mqtt.MQTT_ERR_SUCCESS, 'UNSUBSCRIBE not sent: %s' % rc)
        return wait_until(lambda: self._take_ack(mid), timeout, 'UNSUBACK for %s' % (topic,))

    def _take_ack(self, mid):
        with self.lock:
            if mid in self.acks:
                return [self.acks.pop(mid)]
        return None

    def publish(self, topic, payload, qos=0, retain=False, properties=None, timeout=10):
        """PUBLISH, waiting for its PUBACK or PUBCOMP at QoS 1 or 2 (for QoS 0: until it is written)."""
        info = self.c.publish(topic, payload, qos=qos, retain=retain, properties=properties)
        expect(info.rc == mqtt.MQTT_ERR_SUCCESS, 'PUBLISH on %s not sent: %s' % (topic, info.rc))
        wait_until(lambda: info.is_published(), timeout, 'the %s of the QoS %d publish on %s' % ('PUBACK' if qos == 1 else 'PUBCOMP' if qos == 2 else 'write', qos, topic))
        return info.mid

    def wait_messages(self, n, timeout=10, where=None, what=None):
        """Waits for `n` received messages (matching `where`); returns them."""
        def matching():
            with self.lock:
                found = [m for m in self.messages if where is None or where(m)]
            return found if len(found) >= n else None
        try:
            return wait_until(matching, timeout, what or '%d message(s)' % n)
        except Failure as e:
            with self.lock:
                got = list(self.messages)
            raise Failure('%s; received: %s' % (e, json.dumps(got)[:2000]))

    def received(self, where=None):
        with self.lock:
            return [m for m in self.messages if where is None or where(m)]

    def clear(self):
        with self.lock:
            self.messages = []

    def disconnect(self, properties=None):
        """A normal DISCONNECT (reason 0, with `properties` on MQTT 5), then the network loop stops."""
        if self.protocol == V5:
            self.c.disconnect(properties=properties)
        else:
            self.c.disconnect()
        wait_until(lambda: self.disconnected is not None, 10, 'the connection to close after DISCONNECT')
        self.c.loop_stop()

    def drop(self):
        """Ends the TCP connection without DISCONNECT (a crash or network loss, as far as the broker can tell)."""
        sock = self.c.socket()
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        try:
            self.c.loop_stop()
        except Exception:
            pass

    def wait_closed(self, timeout):
        """Waits until the broker closes the connection; returns paho's on_disconnect record."""
        return wait_until(lambda: self.disconnected, timeout, 'the broker to close the connection')


# A minimal MQTT client on a bare socket, for what paho refuses to send or hides: a topic alias 0, a second CONNECT,
# a PUBLISH left unacknowledged, a DISCONNECT's reason code.

def _varint(n):
    out = bytearray()
    while True:
        byte = n % 128
        n //= 128
        if n:
            byte |= 0x80
        out.append(byte)
        if not n:
            return bytes(out)


def _string(s):
    b = s.encode('utf-8') if isinstance(s, str) else s
    return struct.pack('!H', len(b)) + b


def _properties(p):
    return p.pack() if p is not None else b'\x00'


class RawClient:
    def __init__(self, cfg, timeout=10):
        self.cfg = cfg
        self.sock = socket.create_connection((cfg.host, cfg.port), timeout=timeout)
        self.sock.settimeout(timeout)
        self.buffer = b''
        self.version = 5

    def send(self, packet_type_flags, body):
        self.sock.sendall(bytes([packet_type_flags]) + _varint(len(body)) + body)

    def connect(self, client_id, clean_start=True, keepalive=60, properties=None, protocol_name='MQTT', version=5, username=None, password=None, will=None):
        """CONNECT; `will` is (topic, payload), sent at QoS 0 without properties."""
        flags = 0x02 if clean_start else 0
        if will:
            flags |= 0x04
        user = self.cfg.username if username is None else username
        pw = self.cfg.password if password is None else password
        flags |= 0x80 | 0x40
        self.version = version
        body = _string(protocol_name) + bytes([version, flags]) + struct.pack('!H', keepalive)
        if version == 5:
            body += _properties(properties)
        body += _string(client_id)
        if will:
            body += (b'\x00' if version == 5 else b'') + _string(will[0]) + _string(will[1])
        body += _string(user) + _string(pw)
        self.send(0x10, body)

    def subscribe(self, mid, topic, qos, properties=None):
        block = _properties(properties) if self.version == 5 else b''
        self.send(0x82, struct.pack('!H', mid) + block + _string(topic) + bytes([qos]))

    def publish(self, topic, payload, qos=0, mid=None, properties=None, retain=False):
        body = _string(topic)
        if qos:
            body += struct.pack('!H', mid)
        if self.version == 5:
            body += _properties(properties)
        body += payload.encode() if isinstance(payload, str) else payload
        self.send(0x30 | (qos << 1) | (1 if retain else 0), body)

    def ack(self, packet_type, mid):
        """PUBACK (4), PUBREC (5), PUBREL (6, flags 2) or PUBCOMP (7) for `mid`, reason code omitted (0x00)."""
        self.send((packet_type << 4) | (2 if packet_type == 6 else 0), struct.pack('!H', mid))

    def publish_of(self, packet):
        """A received PUBLISH as {topic, qos, dup, retain, mid, payload} (MQTT 5: properties skipped)."""
        flags, body = packet[1], packet[2]
        n = struct.unpack('!H', body[:2])[0]
        topic = body[2:2 + n].decode()
        at = 2 + n
        qos = (flags >> 1) & 3
        mid = None
        if qos:
            mid = struct.unpack('!H', body[at:at + 2])[0]
            at += 2
        if self.version == 5:
            length, shift = 0, 0
            while True:
                byte = body[at]
                at += 1
                length |= (byte & 0x7F) << shift
                shift += 7
                if not byte & 0x80:
                    break
            at += length
        return {'topic': topic, 'qos': qos, 'dup': bool(flags & 8), 'retain': bool(flags & 1), 'mid': mid, 'payload': body[at:].decode('utf-8', 'replace')}

    def read(self):
        """The next packet as (type, flags, body); None if the broker closed the connection."""
        def need(n):
            while len(self.buffer) < n:
                chunk = self.sock.recv(65536)
                if not chunk:
                    return False
                self.buffer += chunk
            return True
        if not need(2):
            return None
        length, multiplier, i = 0, 1, 1
        while True:
            if not need(i + 1):
                return None
            byte = self.buffer[i]
            length += (byte & 0x7F) * multiplier
            multiplier *= 128
            i += 1
            if not byte & 0x80:
                break
        if not need(i + length):
            return None
        first = self.buffer[0]
        body = self.buffer[i:i + length]
        self.buffer = self.buffer[i + length:]
        return first >> 4, first & 0x0F, body

    def read_until(self, packet_type, timeout=10):
        """Reads packets until one of `packet_type`; returns it, or None when the connection ends first."""
        self.sock.settimeout(timeout)
        while True:
            try:
                packet = self.read()
            except (ConnectionResetError, BrokenPipeError):
                return None
            if packet is None:
                return None
            if packet[0] == packet_type:
                return packet

    def closed_with(self, timeout=10):
        """Reads until the broker ends the connection: ('disconnect', reason code) or ('closed', None)."""
        self.sock.settimeout(timeout)
        while True:
            try:
                packet = self.read()
            except (ConnectionResetError, BrokenPipeError):
                return ('closed', None)
            except socket.timeout:
                raise Failure('the broker kept the connection open for %ss' % timeout)
            if packet is None:
                return ('closed', None)
            if packet[0] == 14:
                return ('disconnect', packet[2][0] if packet[2] else 0)

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


class Config:
    def __init__(self, ns):
        self.host = ns.host
        self.port = ns.port
        self.username = ns.username
        self.password = ns.password
        self.device_username = ns.device_username
        self.device_password = ns.device_password
        self.prefix = ns.prefix
        self.scenario = ns.scenario
        self.extras = dict(kv.split('=', 1) for kv in ns.extra)

    def extra(self, name):
        expect(name in self.extras, 'this scenario needs --extra %s=...' % name)
        return self.extras[name]

    def device(self):
        expect(self.device_username, 'this scenario needs --device-username/--device-password')
        return {'username': self.device_username, 'password': self.device_password}


def _emit(record):
    sys.stdout.write(json.dumps(record) + '\n')
    sys.stdout.flush()


def run(scenarios, watchdog=90):
    """Parses the arguments, runs the scenario named by --scenario with a watchdog, prints its JSON line."""
    parser = argparse.ArgumentParser()
    parser.add_argument('--scenario', required=True, choices=sorted(scenarios))
    parser.add_argument('--host', default='127.0.0.1')
    parser.add_argument('--port', type=int, required=True)
    parser.add_argument('--username', default='admin')
    parser.add_argument('--password', required=True)
    parser.add_argument('--device-username')
    parser.add_argument('--device-password')
    parser.add_argument('--prefix', default='paho%d' % os.getpid())
    parser.add_argument('--extra', action='append', default=[], help='name=value, a setting of the scenario')
    ns = parser.parse_args()
    cfg = Config(ns)

    def stuck():
        _emit({'ok': False, 'scenario': cfg.scenario, 'error': 'watchdog: the scenario did not finish within %ss' % watchdog})
        sys.stderr.write('watchdog: %s did not finish within %ss\n' % (cfg.scenario, watchdog))
        sys.stderr.flush()
        os._exit(3)
    timer = threading.Timer(watchdog, stuck)
    timer.daemon = True
    timer.start()
    try:
        result = scenarios[cfg.scenario](cfg) or {}
    except Failure as e:
        _emit({'ok': False, 'scenario': cfg.scenario, 'error': str(e)})
        sys.stderr.write('%s: %s\n' % (cfg.scenario, e))
        sys.stderr.flush()
        os._exit(1)
    except Exception as e:  # a bug of the script, or paho raising on what the broker sent
        _emit({'ok': False, 'scenario': cfg.scenario, 'error': '%s: %s' % (type(e).__name__, e)})
        traceback.print_exc()
        sys.stderr.flush()
        os._exit(2)
    result.update({'ok': True, 'scenario': cfg.scenario})
    _emit(result)
    # os._exit: paho's network threads of clients left open must not keep the process alive.
    os._exit(0)
