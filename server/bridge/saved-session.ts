import mqttPacket, { type IPublishPacket } from 'mqtt-packet';
import type { SettingsRepo } from '../store/settings-repo.js';
import { withoutCredentials, type BridgeConfig } from './config.js';

/**
 * What a bridge with a persistent session had under way with its remote at a clean stop, kept in rumah.db (`settings`)
 * until the next start takes it (and deletes it: after a crash there is nothing stale to take). With it, a restart
 * (an upgrade, the service restarted) continues the session as a dropped connection does: the remote's Session Present
 * 1 gets what was in flight again under its packet identifiers, and the remote's PUBRELs find the QoS 2 messages
 * they release (docs/bridges.md, "Persistent sessions").
 */
export interface SavedSession {
  /** The remote and the client id it was for: a bridge pointed elsewhere since then starts afresh. */
  for: string;
  /** Packet identifier and queue row id of each message in flight, in the order sent (out-session.ts). */
  pending: Array<[number, number]>;
  /** QoS 2 messages whose PUBREC came (PUBREL sent), in the order the PUBRECs came. */
  released: number[];
  nextId: number;
  /** QoS 2 PUBLISHes from the remote answered with PUBREC, waiting for their PUBREL: the packets, base64. */
  incoming: string[];
}

const keyOf = (name: string): string => `bridge.session:${name}`;

/** The session's identity: another remote, client id or protocol is another session (credentials in the URL are not). */
export function sessionFor(config: BridgeConfig): string {
  return `${withoutCredentials(config.url)} ${config.clientId ?? `rumah-${config.name}`} v${config.protocolVersion}`;
}

/** A persistent-session bridge that still goes to the remote, as the client, the session was for. */
export function sameSession(saved: SavedSession, config: BridgeConfig): boolean {
  return !config.cleanSession && saved.for === sessionFor(config);
}

/** Takes the session a clean stop saved for this bridge, if it is for the same remote; it is deleted either way. */
export async function takeSavedSession(settings: SettingsRepo, config: BridgeConfig): Promise<SavedSession | undefined> {
  const saved = await settings.get<SavedSession>(keyOf(config.name));
  if (saved === undefined) return undefined;
  await settings.delete(keyOf(config.name));
  return isSaved(saved) && sameSession(saved, config) ? saved : undefined;
}

export function saveSession(settings: SettingsRepo, name: string, session: SavedSession): Promise<void> {
  return settings.set(keyOf(name), session);
}

/** Before a stop saves: what is left was saved for bridges this run never opened (removed since), so stale. */
export function forgetSavedSessions(settings: SettingsRepo): Promise<number> {
  return settings.deletePrefix(keyOf(''));
}

/** An incoming QoS 2 PUBLISH as saved: its bytes on the wire, so that properties and all come back as they were. */
export function encodeIncoming(packet: IPublishPacket, protocolVersion: 4 | 5): string {
  return mqttPacket.generate(packet, { protocolVersion }).toString('base64');
}

export function decodeIncoming(saved: readonly string[], protocolVersion: 4 | 5): IPublishPacket[] {
  const out: IPublishPacket[] = [];
  const parser = mqttPacket.parser({ protocolVersion });
  parser.on('packet', (p) => {
    if (p.cmd === 'publish' && p.qos === 2 && typeof p.messageId === 'number') out.push(p);
  });
  // A packet that does not parse is left out: the remote's PUBREL for it then finds nothing, as before this store.
  parser.on('error', () => undefined);
  for (const b64 of saved) parser.parse(Buffer.from(b64, 'base64'));
  return out;
}

function isSaved(v: unknown): v is SavedSession {
  const s = v as SavedSession;
  return typeof s === 'object' && s !== null && typeof s.for === 'string' && Array.isArray(s.pending) && Array.isArray(s.released) &&
    typeof s.nextId === 'number' && Array.isArray(s.incoming);
}
