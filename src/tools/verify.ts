// Proves replication end to end: a row written on the active master must appear on every host.
import { randomBytes } from 'crypto';
import type { ClusterDescription } from '../constructs/replication-cluster';
import { Login, queryRows, withConnection } from './mariadb-client';
import { endpointsOf } from './cluster-ref';

export const PROBE_TABLE = 'mariadb_ha_probe';

export interface ProbeResult {
  readonly host: string;
  /** Milliseconds from commit on the active master until the row was visible; undefined if never. */
  readonly visibleAfterMs?: number;
}

export async function verifyReplication(description: ClusterDescription, login: Login, timeoutMs = 20_000): Promise<ProbeResult[]> {
  const hosts = endpointsOf(description);
  const active = hosts.find((h) => h.name === description.activeMaster)!;
  const token = randomBytes(8).toString('hex');
  await withConnection(active, login, async (c) => {
    await c.query(`CREATE TABLE IF NOT EXISTS ${PROBE_TABLE} (
      id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY, token CHAR(16) NOT NULL,
      written_on VARCHAR(40) NOT NULL, written_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6))`);
    await c.query(`INSERT INTO ${PROBE_TABLE} (token, written_on) VALUES (?, ?)`, [token, active.name]);
  });
  const committed = Date.now();
  return Promise.all(hosts.map(async (h): Promise<ProbeResult> => {
    while (Date.now() - committed < timeoutMs) {
      try {
        const found = await withConnection(h, login, (c) => queryRows(c, `SELECT id FROM ${PROBE_TABLE} WHERE token = ?`, [token]));
        if (found.length === 1) return { host: h.name, visibleAfterMs: Date.now() - committed };
      } catch {
        // Table not replicated yet, or host briefly unreachable: try again until the deadline.
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    return { host: h.name };
  }));
}
