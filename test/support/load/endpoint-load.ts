// A bounded write load through the writer endpoint, recording every write's outcome and where it
// committed. Some connections are held for the whole run (reconnecting only after an error, as
// clients that never reconnect on their own do), others are recycled every few writes.
import { randomBytes } from 'crypto';
import { Connection } from 'mysql2/promise';
import { connect, Endpoint, Login } from '../../../src/operator/sql-client';

export enum WriteOutcome {
  /** Acknowledged: the client saw the commit. */
  OK = 'ok',
  /** Known not committed (refused, or never sent). */
  FAILED = 'failed',
  /** Sent, but the connection died before the answer: the client cannot know. */
  UNKNOWN = 'unknown',
}

/** What each write does. */
export enum Workload {
  /** Insert one row with a unique token: a lost row shows, a lost update cannot happen. */
  INSERT = 'insert',
  /**
   * Increment one shared counter row and insert a token row, in one transaction: with one writer
   * the counter equals the token rows on every host; two writers lose increments silently.
   */
  COUNTER = 'counter',
}

export interface WriteRecord {
  readonly token: string;
  readonly worker: string;
  readonly startedAt: number;
  readonly endedAt: number;
  readonly outcome: WriteOutcome;
  readonly error?: string;
  readonly errno?: number;
}

export interface EndpointLoadOptions {
  readonly endpoint: Endpoint;
  readonly login: Login;
  readonly table: string;
  readonly heldConnections: number;
  readonly recycledConnections: number;
  /** A recycled connection is closed and reopened after this many writes. */
  readonly recycleEvery: number;
  /** Hard stop, whatever the count. */
  readonly durationMs: number;
  /** Stops earlier once this returns true (checked before each write). */
  readonly stopWhen?: () => boolean;
  readonly maxWritesPerWorker: number;
  /** Pause between a worker's writes. */
  readonly pauseMs: number;
  /** Bound on one statement, so a hung connection cannot stall the run. */
  readonly statementTimeoutMs?: number;
  /** @default Workload.INSERT */
  readonly workload?: Workload;
  /** Where each new connection goes, asked before it opens (a DNS client resolving the writer's name); @default endpoint */
  readonly resolve?: () => Promise<Endpoint>;
}

export interface LoadSummary {
  readonly attempts: number;
  readonly ok: number;
  readonly failed: number;
  readonly unknown: number;
  readonly duplicateKeyErrors: number;
  /** Longest time between two consecutive acknowledged writes across all clients (ms). */
  readonly longestGapMs: number;
  readonly longestGapStartedAt: number;
}

export function trackedWritesTableDdl(table: string): string {
  return `CREATE TABLE IF NOT EXISTS \`${table}\` (
    id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    token CHAR(24) NOT NULL UNIQUE,
    written_on INT UNSIGNED NOT NULL,
    worker VARCHAR(32) NOT NULL,
    created_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)
  ) ENGINE=InnoDB`;
}

/** The counter the COUNTER workload increments, beside its token table. */
export function counterTable(table: string): string {
  return `${table}_counter`;
}

export function counterDdl(table: string): string[] {
  return [
    trackedWritesTableDdl(table),
    `CREATE TABLE IF NOT EXISTS \`${counterTable(table)}\` (id INT NOT NULL PRIMARY KEY, n BIGINT NOT NULL) ENGINE=InnoDB`,
    `INSERT IGNORE INTO \`${counterTable(table)}\` (id, n) VALUES (1, 0)`,
  ];
}

/** Errors raised before the statement reached a server: nothing can have committed. */
const NOT_SENT = new Set(['ECONNREFUSED', 'ENOTCONN', 'EHOSTUNREACH']);

function classify(error: any, sent: boolean): WriteOutcome {
  if (typeof error?.errno === 'number' && error.errno >= 1000 && error.errno < 4000 && error.sqlState) return WriteOutcome.FAILED;
  if (!sent || NOT_SENT.has(error?.code) || /closed state/.test(String(error?.message))) return WriteOutcome.FAILED;
  return WriteOutcome.UNKNOWN;
}

export async function runEndpointLoad(options: EndpointLoadOptions): Promise<WriteRecord[]> {
  const deadline = Date.now() + options.durationMs;
  const workload = options.workload ?? Workload.INSERT;
  const records: WriteRecord[] = [];
  const worker = async (name: string, recycleEvery: number) => {
    let connection: Connection | undefined;
    let sinceConnect = 0;
    const drop = () => { connection?.destroy(); connection = undefined; };
    for (let n = 0; n < options.maxWritesPerWorker && Date.now() < deadline && !options.stopWhen?.(); n++) {
      const token = randomBytes(12).toString('hex');
      const startedAt = Date.now();
      let sent = false;
      try {
        if (!connection) {
          connection = await connect(options.resolve ? await options.resolve() : options.endpoint, options.login);
          sinceConnect = 0;
        }
        const c = connection;
        const statement = (sql: string, values: unknown[] = []) => c.query({ sql, values, timeout: options.statementTimeoutMs ?? 10_000 });
        const insert = () => statement(`INSERT INTO \`${options.table}\` (token, written_on, worker) VALUES (?, @@server_id, ?)`, [token, name]);
        if (workload === Workload.COUNTER) {
          await statement('START TRANSACTION');
          await statement(`UPDATE \`${counterTable(options.table)}\` SET n = n + 1 WHERE id = 1`);
          await insert();
          sent = true; // only the COMMIT can leave the outcome unknown
          await statement('COMMIT');
        } else {
          sent = true;
          await insert();
        }
        records.push({ token, worker: name, startedAt, endedAt: Date.now(), outcome: WriteOutcome.OK });
        if (++sinceConnect >= recycleEvery) {
          await connection.end().catch(() => undefined);
          connection = undefined;
        }
      } catch (error: any) {
        records.push({ token, worker: name, startedAt, endedAt: Date.now(), outcome: classify(error, sent), error: String(error?.code ?? error?.message), errno: error?.errno });
        if (error?.fatal !== false) drop();
        else await connection?.query('ROLLBACK').catch(drop); // a refused statement leaves its transaction open
        await new Promise((r) => setTimeout(r, 20));
      }
      if (options.pauseMs > 0) await new Promise((r) => setTimeout(r, options.pauseMs));
    }
    await connection?.end().catch(() => connection?.destroy());
  };
  await Promise.all([
    ...Array.from({ length: options.heldConnections }, (_, i) => worker(`${workload}-held-${i}`, Number.POSITIVE_INFINITY)),
    ...Array.from({ length: options.recycledConnections }, (_, i) => worker(`${workload}-recycled-${i}`, options.recycleEvery)),
  ]);
  return records;
}

export function summarize(records: WriteRecord[]): LoadSummary {
  const acked = records.filter((r) => r.outcome === WriteOutcome.OK).map((r) => r.endedAt).sort((a, b) => a - b);
  let longestGapMs = 0;
  let longestGapStartedAt = acked[0] ?? 0;
  for (let i = 1; i < acked.length; i++) {
    if (acked[i] - acked[i - 1] > longestGapMs) {
      longestGapMs = acked[i] - acked[i - 1];
      longestGapStartedAt = acked[i - 1];
    }
  }
  const count = (o: WriteOutcome) => records.filter((r) => r.outcome === o).length;
  return {
    attempts: records.length,
    ok: count(WriteOutcome.OK),
    failed: count(WriteOutcome.FAILED),
    unknown: count(WriteOutcome.UNKNOWN),
    duplicateKeyErrors: records.filter((r) => r.errno === 1062).length,
    longestGapMs,
    longestGapStartedAt,
  };
}
