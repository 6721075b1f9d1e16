// The package as users get it: packed, installed from the tarball into an app outside this
// repository (no ts-node, no dev dependencies), synthesized there, deployed to local Docker, and
// operated with the installed `mariadb-ha`, including a switchover run by `terraform apply`.
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { APPLICATION_USER } from '../../src/model/accounts';
import { queryRows, withConnection } from '../../src/operator/sql-client';
import { run, runChecked } from '../../src/process';
import { generatedPassword, removeDockerObjects, terraformInit } from '../support/live-stack';
import { acquireBuildLock } from '../support/build-lock';
import { LIVE_SLOTS, slotSubnet } from '../support/live-slots';

const SLOT = LIVE_SLOTS.installedPackage;
const PREFIX = SLOT.prefix;
const root = join(__dirname, '..', '..');
const manifest = require('../../package.json');
const work = mkdtempSync(join(tmpdir(), `${PREFIX}-`));
const app = join(work, 'app');
const stackDir = join(app, 'cdktf.out', 'stacks', 'app');
const passwords = { root: generatedPassword(), replication: generatedPassword(), monitor: generatedPassword(), operator: generatedPassword(), application: generatedPassword() };
// The user's environment: Terraform's mirrors and passwords, and no pointer to this checkout's CLI.
const env = {
  ...Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'MARIADB_HA_CLI')),
  ...Object.fromEntries(Object.entries(passwords).map(([k, v]) => [`TF_VAR_${PREFIX}_${k}_password`, v])),
  TF_IN_AUTOMATION: '1',
};
const sh = (command: string, args: string[], cwd: string, timeoutMs = 5 * 60_000) => runChecked(command, args, { cwd, env, timeoutMs });

const APP = `// A user's stack, in plain JavaScript, against the installed package.
const { App, LocalBackend, TerraformStack } = require('cdktf');
const { DockerProvider } = require('@cdktf/provider-docker/lib/provider');
const { DockerBackend, HaproxyWriterEndpoint, MariaDbReplicationCluster } = require('cdktf-mariadb-ha');
const app = new App({ outdir: 'cdktf.out' });
const stack = new TerraformStack(app, 'app');
new LocalBackend(stack, { path: 'terraform.app.tfstate' });
new DockerProvider(stack, 'docker');
const cluster = new MariaDbReplicationCluster(stack, '${PREFIX}', {
  masters: [{ name: 'db-a' }, { name: 'db-b' }],
  databaseName: 'shop',
  backend: new DockerBackend({ subnet: '${slotSubnet(SLOT)}', hostPortBase: ${SLOT.port + 6} }),
});
new HaproxyWriterEndpoint(stack, 'writer', { cluster, hostPort: ${SLOT.port} });
app.synth();
`;

jest.setTimeout(15 * 60_000);

describe('the packed package, installed into an app outside the repository', () => {
  afterAll(async () => {
    await run('terraform', ['destroy', '-input=false', '-auto-approve', '-no-color'], { cwd: stackDir, env, timeoutMs: 5 * 60_000 }).catch(() => undefined);
    await removeDockerObjects(PREFIX);
    rmSync(work, { recursive: true, force: true });
  });

  test('npm pack builds it; the app installs the tarball and its peers, nothing else', async () => {
    const release = await acquireBuildLock();
    try {
      await sh('npm', ['pack', '--pack-destination', work, '--silent'], root);
    } finally {
      release();
    }
    const tarball = readdirSync(work).find((f) => f.endsWith('.tgz'))!;
    expect(tarball).toBe(`${manifest.name}-${manifest.version}.tgz`);
    await sh('mkdir', ['-p', app], work);
    const peers = ['cdktf', 'constructs', '@cdktf/provider-docker'].map((p) => `${p}@${manifest.devDependencies[p]}`);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'user-app', private: true }, null, 2));
    await sh('npm', ['install', '--no-fund', '--no-audit', '--prefer-offline', join(work, tarball), ...peers], app, 10 * 60_000);
    const installed = JSON.parse((await sh('npm', ['ls', '--json', '--depth=0'], app)).stdout).dependencies;
    expect(Object.keys(installed).sort()).toEqual(['@cdktf/provider-docker', 'cdktf', 'cdktf-mariadb-ha', 'constructs']);
    // No TypeScript toolchain anywhere in the tree (mysql2 comes bundled inside the package).
    const toolchain = await sh('find', ['node_modules', '-type', 'd', '(', '-name', 'ts-node', '-o', '-name', 'typescript', '-o', '-name', 'jsii', ')'], app);
    expect(toolchain.stdout.trim()).toBe('');
    expect(existsSync(join(app, 'node_modules', 'cdktf-mariadb-ha', 'node_modules', 'mysql2'))).toBe(true);
  });

  test('the app synthesizes with plain node, and the output names no path of this checkout', async () => {
    writeFileSync(join(app, 'main.js'), APP);
    await sh('node', ['main.js'], app);
    const synthesized = require('fs').readFileSync(join(stackDir, 'cdk.tf.json'), 'utf8');
    expect(synthesized.includes(root)).toBe(false);
    expect(synthesized).toContain("require.resolve('cdktf-mariadb-ha/bin/mariadb-ha.js')");
  });

  test('it deploys, the installed mariadb-ha reports it healthy, and a switchover by terraform apply runs the installed CLI', async () => {
    await terraformInit(() => sh('terraform', ['init', '-input=false', '-no-color'], stackDir));
    await sh('terraform', ['apply', '-input=false', '-auto-approve', '-no-color'], stackDir);
    const cli = ['--no-install', 'mariadb-ha'];
    const status = await run('npx', [...cli, 'status', '--cluster', PREFIX, '--stack-dir', stackDir, '--wait', '60'], { cwd: app, env, timeoutMs: 120_000 });
    expect({ code: status.code, out: status.stdout.slice(-300) }).toMatchObject({ code: 0 });
    expect(status.stdout).toMatch(/healthy: every replication connection is running without errors and caught up/);

    const apply = await sh('terraform', ['apply', '-input=false', '-auto-approve', '-no-color', `-var=${PREFIX}_active_master=db-b`], stackDir);
    expect(apply.stdout).toMatch(/done: writes now go to db-b/);
    const [row] = await withConnection({ host: '127.0.0.1', port: SLOT.port }, { user: APPLICATION_USER, password: passwords.application, database: 'shop' },
      (c) => queryRows<any>(c, 'SELECT @@server_id AS id'));
    expect(Number(row.id)).toBe(2);
  });
});
