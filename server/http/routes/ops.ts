import { Router } from 'express';

export interface Health {
  ok: boolean;
  checks: Record<string, { ok: boolean; detail?: string }>;
}

export interface Metric {
  name: string;
  help: string;
  type: 'counter' | 'gauge';
  value: number;
}

export interface OpsSource {
  health(): Health;
  metrics(): Metric[];
}

/** Unauthenticated on purpose: a supervisor or Prometheus on the LAN polls them. They expose no device data. */
export function opsRoutes(source: OpsSource): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    const health = source.health();
    res.status(health.ok ? 200 : 503).json({ status: health.ok ? 'ok' : 'degraded', checks: health.checks });
  });
  router.get('/metrics', (_req, res) => {
    const lines: string[] = [];
    for (const m of source.metrics()) {
      lines.push(`# HELP ${m.name} ${m.help}`, `# TYPE ${m.name} ${m.type}`, `${m.name} ${Number.isFinite(m.value) ? m.value : 0}`);
    }
    res.type('text/plain; version=0.0.4').send(lines.join('\n') + '\n');
  });
  return router;
}
