// Security on local Docker: the application grant matches its own database only (even one whose
// name holds a GRANT wildcard), passwords Terraform would store badly are refused, and a password
// rotation under load reaches every host with no endpoint check refused and no failed write.
import { APPLICATION_USER, MONITOR_USER, OPERATOR_USER } from '../../src/model/accounts';
import { summarize, trackedWritesTableDdl } from '../support/load/endpoint-load';
import { HaproxyRuntime, socatIn } from '../../src/routes/haproxy-runtime';
import { DOCKER_HOST_ACCESS } from '../../src/backends/docker/docker-host-access';
import { inspect } from 'util';
import { SecretName } from '../../src/model/accounts';
import { queryRows, runStatements, withConnection } from '../../src/operator/sql-client';
import { run } from '../../src/process';
import { waitForHealthyReplication } from '../support/cluster-checks';
import { drillLoad, DRILL_TABLE } from '../support/failover-drill';
import { haDeployment } from '../support/ha-deployment';
import { connectionIncidents, containerLogLines, generatedPassword, withContainerLogs } from '../support/live-stack';
import { LIVE_SLOTS } from '../support/live-slots';

const PREFIX = LIVE_SLOTS.security.prefix;
const ha = haDeployment({ ...LIVE_SLOTS.security, databaseName: 'my_ql' });
const { live, hosts } = ha;

jest.setTimeout(10 * 60_000);

const checkFailures = async () => (await HaproxyRuntime.of(`${PREFIX}-writer`, socatIn(DOCKER_HOST_ACCESS, `${PREFIX}-writer`)).servers('writer')).map((s) => `${s.name}:${s.checkFailures}`);
/** The endpoint's failed checks since `since` that did not just time out (a starved CPU does that): a refused login shows here. */
const failedChecksNotTimeouts = async (since: Date) => (await containerLogLines(`${PREFIX}-writer`, since))
  .filter((l) => /Health check for server \S+ failed/.test(l) && !/reason: Layer\d timeout/.test(l));
const refused = (h: { host: string; port: number }, user: string, password: string) =>
  withConnection(h, { user, password }, async () => false).catch((e) => e.errno === 1045);

/** Runs `work`; a failure carries the endpoint's, the monitor's and the masters' logs. */
const withLogs = <T>(work: () => Promise<T>): Promise<T> => withContainerLogs(['writer', 'monitor', 'db-a', 'db-b'].map((n) => `${PREFIX}-${n}`), work);

describe('security on local Docker', () => {
  beforeAll(async () => {
    await live.deploy();
    await withConnection(ha.endpoint, ha.app, (c) => c.query(trackedWritesTableDdl(DRILL_TABLE)));
  });

  afterAll(async () => {
    await live?.destroy();
  });

  test('the application account of database my_ql reaches my_ql only, also after a restart', async () => {
    const probe = async () => withConnection(ha.host('db-b'), ha.app, async (c) => {
      const grants = (await queryRows<any>(c, 'SHOW GRANTS')).map((r) => Object.values(r)[0] as string);
      const system = await queryRows<any>(c, 'SELECT COUNT(*) AS n FROM mysql.user').then(() => 'readable', (e) => e.code);
      const schemas = (await queryRows<any>(c, 'SHOW DATABASES')).map((r) => r.Database);
      return { grants, system, schemas };
    });
    const check = (seen: Awaited<ReturnType<typeof probe>>) => {
      expect(seen.grants.find((g) => g.includes(' ON `'))).toMatch(/ON `my\\_ql`\.\* TO `app`@`10\.213\.70\.0\/255\.255\.255\.0`/);
      expect(seen.system).toBe('ER_TABLEACCESS_DENIED_ERROR');
      expect(seen.schemas).toEqual(['information_schema', 'my_ql']);
    };
    check(await probe());
    // The standby master: restarting the writer would be a failover, which the failover tests cover.
    await run('docker', ['restart', `${PREFIX}-db-b`], { timeoutMs: 120_000 });
    await waitForHealthyReplication(hosts, ha.monitor, 90_000);
    check(await probe());
  });

  test('a statement failing after a secret is set, or the secret\'s own statement failing, carries no secret in its error', async () => {
    const secret = generatedPassword();
    const leaks = (error: unknown) => {
      const shown = inspect(error, { depth: 6, showHidden: true });
      return [secret, Buffer.from(secret).toString('base64')].filter((s) => shown.includes(s));
    };
    const after = await withConnection(ha.host('db-a'), ha.app, (c) => runStatements(c, ['SELECT * FROM no_such_table'], { [SecretName.REPLICATION]: secret })).then(() => undefined, (e) => e);
    expect(after?.message).toMatch(/no_such_table/);
    expect(leaks(after)).toEqual([]);
    const own = await withConnection(ha.host('db-a'), ha.app, async (c) => {
      await c.query('KILL CONNECTION CONNECTION_ID()').catch(() => undefined);
      return runStatements(c, ['SELECT 1'], { [SecretName.REPLICATION]: secret });
    }).then(() => undefined, (e) => e);
    expect(own).toBeDefined();
    expect(leaks(own)).toEqual([]);
  });

  test.each([
    ['a newline', `${generatedPassword()}\nsecond-line`],
    ['more than 32 characters', `${generatedPassword()}${generatedPassword()}`],
  ])('a replication password with %s is refused by the plan, before anything changes', async (_what, password) => {
    const plan = await run('terraform', ['plan', '-input=false', '-no-color', `-var=${PREFIX}_replication_password=${password}`], { cwd: live.dir, env: live.environment, timeoutMs: 120_000 });
    expect(plan.code).toBe(1);
    expect(plan.stderr.replace(/\s+/g, " ")).toMatch(new RegExp(`${PREFIX}_replication_password must not be blank, must have at least 12 and at most 32 characters, and no control characters`));
  });

  test('rotating every password under load: only the rotation runs, no endpoint check is refused, no write fails', () => withLogs(async () => {
    const next = { root: generatedPassword(), replication: generatedPassword(), monitor: generatedPassword(), operator: generatedPassword() };
    for (const [account, password] of Object.entries(next)) live.environment[`TF_VAR_${PREFIX}_${account}_password`] = password;
    await live.terraform(['plan', '-input=false', '-out=rotate.plan']);
    const changes = JSON.parse((await live.terraform(['show', '-json', 'rotate.plan'])).stdout).resource_changes
      .filter((c: any) => c.change.actions.join() !== 'no-op').map((c: any) => `${c.type} ${c.change.actions.join('+')}`);
    expect(changes).toEqual(['terraform_data delete+create']);

    const failuresBefore = await checkFailures();
    const loadStarted = new Date();
    const loading = drillLoad(ha, 12_000);
    await new Promise((r) => setTimeout(r, 3_000));
    await live.terraform(['apply', '-input=false', '-auto-approve', 'rotate.plan']);
    const records = await loading;
    const summary = summarize(records);
    const errors = records.filter((r) => r.error).map((r) => `${r.worker}: ${r.error}`);
    console.log(`password rotation under load: ${JSON.stringify(summary)}; check failures ${failuresBefore.join(' ')} -> ${(await checkFailures()).join(' ')}`);
    // A lost connection names its cause: how HAProxy saw the session end, what the servers logged.
    const incidents = errors.length > 0 ? await connectionIncidents(`${PREFIX}-writer`, [`${PREFIX}-db-a`, `${PREFIX}-db-b`], loadStarted) : [];
    // Incidents are expected too, so a failure's diff shows them (toMatchObject shows only expected keys).
    expect({ ...summary, errors, incidents }).toMatchObject({ failed: 0, unknown: 0, errors: [], incidents: [] });
    expect(await failedChecksNotTimeouts(loadStarted)).toEqual([]);

    for (const h of hosts) {
      expect(await refused(h, MONITOR_USER, ha.passwords.monitor)).toBe(true);
      expect(await refused(h, MONITOR_USER, next.monitor)).toBe(false);
      expect(await refused(h, OPERATOR_USER, next.operator)).toBe(false);
    }
    // Replication reconnects with the new password: restart one master and watch it catch up.
    await run('docker', ['restart', `${PREFIX}-db-b`], { timeoutMs: 120_000 });
    await waitForHealthyReplication(hosts, { user: MONITOR_USER, password: next.monitor }, 90_000);
    // As another OS user, so root's socket authentication cannot stand in for the password.
    const root = await run('docker', ['exec', '-u', 'nobody', '-e', `MYSQL_PWD=${next.root}`, `${PREFIX}-db-a`, 'mariadb', '--user=root', '-e', 'SELECT 1'], { timeoutMs: 30_000 });
    expect(root.code).toBe(0);
  }));

  test('rotating the application password: the new one works everywhere, the old one nowhere', async () => {
    const application = generatedPassword();
    live.environment[`TF_VAR_${PREFIX}_application_password`] = application;
    await live.terraform(['apply', '-input=false', '-auto-approve']);
    for (const h of hosts) {
      expect(await refused(h, APPLICATION_USER, application)).toBe(false);
      expect(await refused(h, APPLICATION_USER, ha.passwords.application)).toBe(true);
    }
  });
});
