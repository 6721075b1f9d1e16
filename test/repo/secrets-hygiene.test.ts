// Terraform state holds every secret in plain text: it must never be tracked nor shipped.
import { execFileSync } from 'child_process';
import { join } from 'path';
import { Testing } from 'cdktf';
import { LocalHaStack } from '../../examples/local-docker/stack';

const root = join(__dirname, '..', '..');
const STATE_FILE = /(^|\/)[^/]*\.tfstate(\.[^/]*)?$/;
jest.setTimeout(120_000);

describe('secrets stay out of git and out of the package', () => {
  test('no Terraform state file is tracked by git', () => {
    const tracked = execFileSync('git', ['ls-files'], { cwd: root, encoding: 'utf8' }).split('\n');
    expect(tracked.filter((f) => STATE_FILE.test(f))).toEqual([]);
  });

  test('git ignores state files wherever cdktf or Terraform would write them', () => {
    const candidates = ['terraform.local-ha.tfstate', 'terraform.local-ha.tfstate.backup', 'terraform.tfstate', 'examples/x/terraform.shop.tfstate'];
    const ignored = execFileSync('git', ['check-ignore', '--no-index', ...candidates], { cwd: root, encoding: 'utf8' }).trim().split('\n');
    expect(ignored).toEqual(candidates);
  });

  test('npm pack would ship no state file, nothing from .local, and nothing but the package itself', () => {
    const [pack] = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8' }));
    const files: string[] = pack.files.map((f: { path: string }) => f.path);
    expect(files.length).toBeGreaterThan(0);
    expect(files.filter((f) => STATE_FILE.test(f) || f.startsWith('.local/'))).toEqual([]);
    // Only what users need: the compiled library, its jsii assembly, the CLI (and its bundle, which
    // the failover monitor's container runs), the docs, the manifest, and mysql2 with its
    // dependencies (jsii bundles what is not itself a jsii module).
    const needed = /^(lib\/.*\.(js|d\.ts)|\.jsii|bin\/mariadb-ha\.js|bundle\/mariadb-ha\.js|README\.md|API\.md|package\.json|node_modules\/[^/]+\/.*)$/;
    expect(files.filter((f) => !needed.test(f))).toEqual([]);
    expect(pack.bundled).toContain('mysql2');
  });

  test('the example keeps its state in the owner-only state directory', () => {
    const synthesized = JSON.parse(Testing.synth(new LocalHaStack(Testing.app(), 'local-ha')));
    expect(synthesized.terraform.backend.local.path).toBe('../../../.local/terraform.local-ha.tfstate');
  });
});
