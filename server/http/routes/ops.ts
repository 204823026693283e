import { Router, type RequestHandler } from 'express';

export interface Health {
  ok: boolean;
  checks: Record<string, { ok: boolean; detail?: string }>;
}

export interface Metric {
  name: string;
  help: string;
  type: 'counter' | 'gauge';
  value: number;
  /** Labelled values instead of `value` (one line each), e.g. per account. */
  series?: Array<{ labels: Record<string, string>; value: number }>;
}

/** A Prometheus label value: backslash, double quote and newline escaped (exposition format 0.0.4). */
const labelValue = (v: string): string => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

export interface OpsSource {
  health(): Health;
  metrics(): Metric[];
}

/**
 * `/healthz` is open on purpose: a supervisor or a container runtime polls it without credentials, and it says only
 * ok or degraded and which part. `/metrics` needs a login or an API token like every other call (Prometheus sends one
 * with `authorization: {credentials: ...}`): its counts of refused logins, clients and devices tell a stranger on the
 * LAN how the house is used and whether a password guess was noticed.
 */
export function opsRoutes(source: OpsSource, authorised: RequestHandler): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    const health = source.health();
    res.status(health.ok ? 200 : 503).json({ status: health.ok ? 'ok' : 'degraded', checks: health.checks });
  });
  router.get('/metrics', authorised, (_req, res) => {
    const lines: string[] = [];
    for (const m of source.metrics()) {
      lines.push(`# HELP ${m.name} ${m.help}`, `# TYPE ${m.name} ${m.type}`);
      if (!m.series) lines.push(`${m.name} ${Number.isFinite(m.value) ? m.value : 0}`);
      for (const { labels, value } of m.series ?? []) {
        lines.push(`${m.name}{${Object.entries(labels).map(([k, v]) => `${k}="${labelValue(v)}"`).join(',')}} ${Number.isFinite(value) ? value : 0}`);
      }
    }
    res.type('text/plain; version=0.0.4').send(lines.join('\n') + '\n');
  });
  return router;
}
