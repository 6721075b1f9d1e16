// The construct-library conventions: the jsii build succeeds, API.md is what jsii-docgen makes of
// the current doc comments, and the Python example synthesizes the TypeScript example's JSON.
import { mkdtempSync, readFileSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { runChecked } from '../../src/process';
import { acquireBuildLock } from '../support/build-lock';

const root = join(__dirname, '..', '..');
const work = mkdtempSync(join(tmpdir(), 'jsii-test-'));
const env = { ...process.env, JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION: '1' };
const sh = (command: string, args: string[], timeoutMs = 5 * 60_000) => runChecked(command, args, { cwd: root, env, timeoutMs });
const stackJson = (outdir: string) => readFileSync(join(outdir, 'stacks', 'local-ha', 'cdk.tf.json'), 'utf8');

jest.setTimeout(10 * 60_000);

let release = () => {};
afterAll(() => {
  release();
  rmSync(work, { recursive: true, force: true });
});

describe('the jsii package', () => {
  beforeAll(async () => {
    release = await acquireBuildLock();
    await sh('npm', ['run', '--silent', 'build']);
  });

  test('the assembly carries the public API to other languages', () => {
    const assembly = JSON.parse(readFileSync(join(root, '.jsii'), 'utf8'));
    expect(assembly.targets.python).toEqual({ distName: 'cdktf-mariadb-ha', module: 'cdktf_mariadb_ha' });
    const cluster = assembly.types['cdktf-mariadb-ha.MariaDbReplicationCluster'];
    expect(cluster.properties.find((p: { name: string }) => p.name === 'PORT')).toMatchObject({ const: true, static: true });
    expect(Object.keys(assembly.types)).toEqual(expect.arrayContaining([
      'cdktf-mariadb-ha.DockerBackend', 'cdktf-mariadb-ha.HaproxyWriterEndpoint', 'cdktf-mariadb-ha.MariaDbReplicationClusterProps',
    ]));
  });

  test('API.md is current: jsii-docgen makes the committed file from the doc comments', async () => {
    const generated = join(work, 'API.md');
    await sh(join(root, 'node_modules', '.bin', 'jsii-docgen'), ['--output', generated]);
    const committed = readFileSync(join(root, 'API.md'), 'utf8');
    // On a mismatch run `npm run docs` and commit API.md.
    expect(committed === readFileSync(generated, 'utf8')).toBe(true);
    expect(committed).toContain('MariaDbReplicationClusterProps');
  });

  test('the Python example, on the built wheel, synthesizes exactly the TypeScript example', async () => {
    const python = join(work, 'python');
    const typescript = join(work, 'typescript');
    await sh('bash', ['scripts/python-example.sh', python], 10 * 60_000);
    await runChecked(join(root, 'node_modules', '.bin', 'ts-node'), ['--transpile-only', 'examples/local-docker/main.ts'], {
      cwd: root, env: { ...env, CDKTF_OUTDIR: typescript }, timeoutMs: 120_000,
    });
    const fromPython = stackJson(python);
    expect(fromPython).toContain('"shop-db-a"');
    expect(fromPython).toContain('"shop-writer"');
    expect(fromPython === stackJson(typescript)).toBe(true);
  });
});
