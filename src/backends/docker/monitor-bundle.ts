// The `mariadb-ha` command bundled into one file with its dependencies, for the failover monitor's
// container (Node from Debian's packages, nothing installed). The package ships it; a checkout of
// this repository builds it from its sources at synth, once per process, so it is never stale.
import { existsSync, mkdirSync, renameSync } from 'fs';
import { dirname, join } from 'path';

/** Where the bundle lies in the package (and in a checkout, once built). */
export const BUNDLE_RELATIVE_PATH = join('bundle', 'mariadb-ha.js');
/** Node release the bundle targets: Debian 12's nodejs package. */
export const BUNDLE_NODE_TARGET = 'node18';

let built: string | undefined;

function packageRoot(): string {
  let dir = __dirname;
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error(`no package.json above ${__dirname}`);
    dir = up;
  }
  return dir;
}

/** The absolute path of the bundled command, building it first in a checkout. */
export function monitorBundle(): string {
  if (built) return built;
  const root = packageRoot();
  const bundle = join(root, BUNDLE_RELATIVE_PATH);
  const entry = join(root, 'src', 'commands', 'bin.ts');
  if (existsSync(entry)) {
    const esbuild = require('esbuild');
    mkdirSync(dirname(bundle), { recursive: true });
    // Through a temporary file: parallel synths (test workers) never copy a half-written bundle.
    const partial = `${bundle}.${process.pid}.tmp`;
    esbuild.buildSync({ entryPoints: [entry], bundle: true, platform: 'node', target: BUNDLE_NODE_TARGET, outfile: partial, logLevel: 'error', legalComments: 'none' });
    renameSync(partial, bundle);
  } else if (!existsSync(bundle)) {
    throw new Error(`the failover monitor's program is missing from the package (${bundle}); reinstall cdktf-mariadb-ha`);
  }
  built = bundle;
  return bundle;
}
