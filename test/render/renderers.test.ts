import { spawnSync } from 'child_process';
import { planTopologyOrThrow, TopologyPlan } from '../../src/model';
import { renderBootstrapSql } from '../../src/render/bootstrap-sql';
import { renderEntrypoint } from '../../src/render/entrypoint';
import { renderServerConfig } from '../../src/render/server-config';
import { sqlString } from '../../src/render/sql';
import { resumeChannel } from '../../src/render/statements';
import { ACTIVE_PASSIVE } from '../support/topologies';

const ctx = { clientNetworkHost: '10.213.0.0/255.255.255.0', addressOf: (name: string) => name };
const settings = (cnf: string) => Object.fromEntries(cnf.split('\n').filter((l) => /^\w+ = /.test(l)).map((l) => l.split(' = ')));

describe('renderServerConfig', () => {
  const plan = planTopologyOrThrow(ACTIVE_PASSIVE, 'test');

  test('a master gets its id, domain, offset and the replication settings', () => {
    expect(settings(renderServerConfig(plan, 'db-b'))).toMatchObject({
      server_id: '2', gtid_domain_id: '2', auto_increment_increment: '2', auto_increment_offset: '2',
      log_bin: 'mariadb-bin', binlog_format: 'ROW', log_slave_updates: 'ON', read_only: 'ON',
      skip_name_resolve: 'ON', bind_address: '0.0.0.0', gtid_ignore_duplicates: 'ON', sync_binlog: '1',
    });
  });

  test('a replica is read-only and has no writer offset', () => {
    const s = settings(renderServerConfig(plan, 'analytics'));
    expect(s).toMatchObject({ server_id: '101', read_only: 'ON' });
    expect(s.auto_increment_offset).toBeUndefined();
  });

  test('tuning changes the replica timeout and binlog retention', () => {
    expect(settings(renderServerConfig(plan, 'db-a', { replicaNetTimeoutSeconds: 30, binlogRetentionDays: 2 })))
      .toMatchObject({ slave_net_timeout: '30', binlog_expire_logs_seconds: String(2 * 86400) });
  });

  test('the active master does not appear in any host config, so a switchover restarts nothing', () => {
    const other = planTopologyOrThrow({ ...ACTIVE_PASSIVE, activeMaster: 'db-b' }, 'test');
    for (const host of ['db-a', 'db-b', 'analytics']) {
      expect(renderServerConfig(other, host)).toBe(renderServerConfig(plan, host));
      expect(renderBootstrapSql(other, host, ctx)).toBe(renderBootstrapSql(plan, host, ctx));
    }
  });
});

describe('renderBootstrapSql', () => {
  const plan: TopologyPlan = planTopologyOrThrow(ACTIVE_PASSIVE, 'test');
  const sql = renderBootstrapSql(plan, 'db-a', ctx);
  const statements = sql.split('\n').filter((l) => l && !l.startsWith('--'));

  test('binary logging is off for the session before any account or replication statement', () => {
    expect(statements[0]).toBe('SET SESSION sql_log_bin = 0;');
  });

  test('accounts are limited to the client network and hold only their grants', () => {
    expect(sql).toContain("GRANT REPLICATION SLAVE ON *.* TO 'replicator'@'10.213.0.0/255.255.255.0';");
    expect(sql).toContain("GRANT SLAVE MONITOR ON *.* TO 'monitor'@'10.213.0.0/255.255.255.0';");
    expect(sql).toMatch(/GRANT SELECT, INSERT, UPDATE, DELETE, .* ON `app`\.\* TO 'app'@'10\.213\.0\.0\/255\.255\.255\.0';/);
    expect(sql).not.toMatch(/GRANT ALL|SUPER|@'%'/);
  });

  test('a master replicates from its peer with GTID, by name, under its own connection', () => {
    expect(sql).toContain("CHANGE MASTER ''db-b'' TO MASTER_HOST=''db-b'', MASTER_PORT=3306, MASTER_USER=''replicator'', MASTER_PASSWORD=', QUOTE(@secret_replication), ', MASTER_USE_GTID=slave_pos");
  });

  test('a delayed replica gets MASTER_DELAY', () => {
    const delayed = planTopologyOrThrow({ ...ACTIVE_PASSIVE, replicas: [{ name: 'late', source: 'db-a', delaySeconds: 3600 }] }, 'test');
    expect(renderBootstrapSql(delayed, 'late', ctx)).toContain('MASTER_DELAY=3600');
  });

  test('secrets are only ever named, never inlined', () => {
    expect(sql.match(/@secret_(\w+)/g)).toEqual(['@secret_root', '@secret_replication', '@secret_monitor', '@secret_operator', '@secret_application', '@secret_replication']);
  });
});

describe('renderEntrypoint', () => {
  const script = renderEntrypoint();

  test('bootstraps once, without networking or binary log, and then runs the server as PID 1', () => {
    expect(script).toMatch(/mariadbd --defaults-extra-file="\$CONF" --user=mysql --skip-networking --skip-slave-start/);
    expect(script).toMatch(/boot_start --skip-log-bin\n {2}boot_sql\n/);
    expect(script).toMatch(/touch "\$DONE"/);
    expect(script.trim().split('\n').pop()).toMatch(/^exec mariadbd --defaults-extra-file="\$CONF"/);
  });

  test('holds no ${...}: the upload is a Terraform string, which would read it as an interpolation', () => {
    expect(script).not.toContain('${');
    expect(script).not.toContain('%{');
  });

  test('a writable master copied into a running cluster starts read-only until the writers step opens it', () => {
    expect(script).toMatch(/if grep -q '\^read_only = OFF' "\$CONF"; then touch "\$JOINING"; fi/);
    expect(script).toMatch(/if \[ -f "\$JOINING" \]; then fence=--read-only=ON;/);
    expect(script).toMatch(/--socket=\/run\/mysqld\/mysqld\.sock \$fence "\$@"\n$/);
  });

  test('finishes a seeded copy from its GTID position (checked to be one), with its own accounts and connections', () => {
    expect(script).toContain('[[ "$position" =~ ^[0-9,-]*$ ]] || { say');
    expect(script).toContain(`boot_sql "RESET MASTER;" "SET GLOBAL gtid_binlog_state = '$position';" "FLUSH BINARY LOGS;" "SET GLOBAL gtid_slave_pos = '$position';"`);
    expect(script.indexOf('if [ -f "$SEED" ]')).toBeLessThan(script.indexOf('holds data this tool did not bootstrap'));
  });

  test('refuses a data directory it did not bootstrap instead of overwriting it', () => {
    expect(script).toMatch(/holds data this tool did not bootstrap; refusing to touch it/);
  });

  test('passes secrets to SQL as base64 so no value can break its quoting', () => {
    expect(script).toContain("FROM_BASE64('$(base64 -w0 <\"$secret\")')");
  });
  test('a server of another series than the data\'s upgrades its system tables before it takes connections, and an older one refuses the data', () => {
    const check = script.indexOf('data_series=$(cat "$SERIES"');
    expect(check).toBeGreaterThan(script.indexOf('say "bootstrap complete"'));
    expect(check).toBeLessThan(script.indexOf('exec mariadbd'));
    expect(script).toMatch(/a downgrade is refused[^\n]*\n[^\n]*\n {2}exit 66\n/);
    expect(script).toContain('boot_start\n  mariadb-upgrade --socket="$BOOT_SOCKET" --user=root');
    // Data last run by another image may belong to another uid.
    expect(script).toContain('find "$DATADIR" \\( ! -user mysql -o ! -group mysql \\) -exec chown -h mysql:mysql {} +');
    expect(renderEntrypoint({ galeraNode: true })).not.toContain('data_series');
  });

  test('is valid bash', () => {
    expect(spawnSync('bash', ['-n'], { input: script }).status).toBe(0);
  });
});

describe('sqlString', () => {
  test.each([["plain", "'plain'"], ["o'brien", "'o''brien'"], ['back\\slash', "'back\\\\slash'"]])('%s', (input, quoted) => {
    expect(sqlString(input)).toBe(quoted);
  });
});

describe('resumeChannel', () => {
  test('stops the connection, clears its skip counter by CHANGE MASTER (no SUPER needed), then starts it', () => {
    expect(resumeChannel('db-a')).toEqual(["STOP SLAVE 'db-a'", "CHANGE MASTER 'db-a' TO MASTER_USE_GTID=slave_pos", "START SLAVE 'db-a'"]);
  });
});
