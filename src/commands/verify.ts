// Proves replication end to end: a row written on the writer must appear on every host.
import { randomBytes } from 'crypto';
import type { ClusterDescription } from '../constructs/description';
import { Login, queryRows, withConnection } from '../operator/sql-client';
import { endpointsOf } from '../operator/cluster-ref';
import { NamedEndpoint } from '../operator/replication-status';

export const PROBE_TABLE = 'mariadb_ha_probe';

export interface ProbeResult {
  readonly host: string;
  /** Milliseconds from commit on the writer until the row was visible; undefined if never. */
  readonly visibleAfterMs?: number;
}

/** The first writable master (with one writer at a time, the writer), else the declared active master. */
async function writer(description: ClusterDescription, login: Login): Promise<NamedEndpoint> {
  const hosts = endpointsOf(description);
  for (const name of description.writers) {
    const host = hosts.find((h) => h.name === name)!;
    const readOnly = await withConnection(host, login, async (c) => Number((await queryRows<any>(c, 'SELECT @@global.read_only AS ro'))[0].ro)).catch(() => 1);
    if (readOnly === 0) return host;
  }
  return hosts.find((h) => h.name === description.activeMaster)!;
}

export async function verifyReplication(description: ClusterDescription, login: Login, timeoutMs = 20_000): Promise<ProbeResult[]> {
  const hosts = endpointsOf(description);
  const active = await writer(description, login);
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
