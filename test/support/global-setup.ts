// Live tests need Terraform, a Docker engine, the images and the provider mirror. This installs and
// starts whatever is missing through the project's own scripts, or fails saying what to do.
import { execFileSync } from 'child_process';
import { existsSync, readFileSync, writeFileSync } from 'fs';
import { join } from 'path';

const root = join(__dirname, '..', '..');
const stateDir = process.env.MARIADB_HA_STATE_DIR ?? join(root, '.local');
export const ENGINE_STARTED_MARKER = join(stateDir, 'engine-started-by-tests');

function engineReachable(): boolean {
  try {
    execFileSync('docker', ['info'], { stdio: 'ignore', timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}

/** Reads `export NAME="value"` lines (values may refer to ${NAME:-default}). */
function loadEnvFile(path: string): void {
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const match = /^export (\w+)="(.*)"$/.exec(line);
    if (!match) continue;
    const [, name, raw] = match;
    process.env[name] = raw.replace(/\$\{(\w+):-([^}]*)\}/g, (_, ref, fallback) => process.env[ref] ?? fallback);
  }
}

export default async function globalSetup(): Promise<void> {
  const hadEngine = engineReachable();
  try {
    execFileSync('bash', [join(root, 'scripts', 'toolchain.sh')], { stdio: 'inherit', timeout: 20 * 60_000 });
  } catch (error) {
    throw new Error(`the live-test toolchain could not be prepared (scripts/toolchain.sh failed; its messages are above). ${String(error)}`);
  }
  if (!hadEngine && engineReachable()) writeFileSync(ENGINE_STARTED_MARKER, 'started by the live tests\n');
  const envFile = join(stateDir, 'toolchain.env');
  if (!existsSync(envFile)) throw new Error(`${envFile} is missing after scripts/toolchain.sh; run it by hand to see why`);
  loadEnvFile(envFile);
}
