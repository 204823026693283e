import net from 'node:net';
import os from 'node:os';

export interface HostNames {
  dns: string[];
  ips: string[];
}

/**
 * The names a device or browser may use to reach this hub, for the generated server certificate: the host name
 * (and its mDNS `.local` form, which is how most homes find a box), localhost, the loopback addresses, every
 * non-internal address of the machine, the bound address, and the configured extras (`tls.hostnames`: a DNS name
 * or an IP address each). IPv6 link-local addresses are left out: they need a zone id, which a certificate cannot
 * carry.
 */
export function hostNames(extra: readonly string[], bind: string, hostname = os.hostname(), interfaces = os.networkInterfaces()): HostNames {
  const dns = new Set<string>(['localhost']);
  const ips = new Set<string>(['127.0.0.1', '::1']);
  const host = hostname.trim().toLowerCase();
  if (host && host !== 'localhost') {
    dns.add(host);
    if (!host.includes('.')) dns.add(`${host}.local`);
  }
  for (const list of Object.values(interfaces)) {
    for (const a of list ?? []) {
      if (a.internal || (a.family === 'IPv6' && /^fe80:/i.test(a.address))) continue;
      ips.add(a.address);
    }
  }
  if (net.isIP(bind) && bind !== '0.0.0.0' && bind !== '::') ips.add(bind);
  for (const name of extra) {
    if (net.isIP(name)) ips.add(name);
    else dns.add(name.toLowerCase());
  }
  return { dns: [...dns].sort(), ips: [...ips].sort() };
}

/** Whether a certificate's subjectAltName (Node's `X509Certificate.subjectAltName` text) covers every name. */
export function coversAll(subjectAltName: string | undefined, names: HostNames): boolean {
  const present = new Set((subjectAltName ?? '').split(', ').map((s) => s.trim().toLowerCase()));
  const ipText = (ip: string): string => (net.isIPv6(ip) ? expandIPv6(ip) : ip);
  return names.dns.every((d) => present.has(`dns:${d}`)) && names.ips.every((ip) => present.has(`ip address:${ipText(ip)}`));
}

/** Node prints IPv6 SANs fully expanded without leading zeros (0:0:0:0:0:0:0:1). */
function expandIPv6(ip: string): string {
  const [head = '', tail = ''] = ip.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = ip.includes('::') ? [...h, ...Array(8 - h.length - t.length).fill('0'), ...t] : h;
  return groups.map((g) => parseInt(g, 16).toString(16)).join(':');
}
