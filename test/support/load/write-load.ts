// A bounded concurrent insert load: several connections per target, stopping at a count or a deadline.
import { Connection } from 'mysql2/promise';
import { DUPLICATE_KEY_ERRNO } from '../../../src/operator/analysis';
import { connect, Endpoint, Login } from '../../../src/operator/sql-client';

export { DUPLICATE_KEY_ERRNO };

export interface WriteTarget {
  /** Recorded in each row's `origin` column. */
  readonly name: string;
  readonly endpoint: Endpoint;
  readonly login: Login;
}

export interface WriteLoadOptions {
  readonly targets: WriteTarget[];
  readonly table: string;
  readonly connectionsPerTarget: number;
  /** Hard stop, whatever the count. */
  readonly durationMs: number;
  readonly maxInsertsPerConnection: number;
}

export interface WriteLoadResult {
  readonly inserted: number;
  readonly duplicateKeyErrors: number;
  readonly otherErrors: number;
  readonly firstErrors: string[];
  readonly seconds: number;
}

export function loadTableDdl(table: string): string {
  return `CREATE TABLE IF NOT EXISTS \`${table}\` (
    id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    origin VARCHAR(40) NOT NULL,
    connection_no INT NOT NULL,
    seq INT NOT NULL,
    created_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)
  ) ENGINE=InnoDB`;
}

export async function runWriteLoad(options: WriteLoadOptions): Promise<WriteLoadResult> {
  const started = Date.now();
  const deadline = started + options.durationMs;
  const tally = { inserted: 0, duplicateKeyErrors: 0, otherErrors: 0, firstErrors: [] as string[] };
  const note = (error: any) => {
    if (error?.errno === DUPLICATE_KEY_ERRNO) tally.duplicateKeyErrors++;
    else tally.otherErrors++;
    if (tally.firstErrors.length < 5) tally.firstErrors.push(String(error?.message ?? error));
  };
  const worker = async (target: WriteTarget, connectionNo: number) => {
    let connection: Connection | undefined;
    try {
      connection = await connect(target.endpoint, target.login);
      for (let seq = 0; seq < options.maxInsertsPerConnection && Date.now() < deadline; seq++) {
        try {
          await connection.query(`INSERT INTO \`${options.table}\` (origin, connection_no, seq) VALUES (?, ?, ?)`, [target.name, connectionNo, seq]);
          tally.inserted++;
        } catch (error) {
          note(error);
        }
      }
    } catch (error) {
      note(error);
    } finally {
      await connection?.end().catch(() => connection?.destroy());
    }
  };
  await Promise.all(options.targets.flatMap((t) => Array.from({ length: options.connectionsPerTarget }, (_, i) => worker(t, i))));
  return { ...tally, seconds: (Date.now() - started) / 1000 };
}
