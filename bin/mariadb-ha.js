#!/usr/bin/env node
// Runs the TypeScript source in a checkout (so it is never stale), the compiled CLI in a package.
// In a checkout the sources are bundled once per content (esbuild, a fraction of a second) and the
// bundle is kept under .local/cli: a deploy runs this command for every step, and transpiling the
// whole tree each time cost seconds of CPU per step.
const { createHash } = require('crypto');
const { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } = require('fs');
const { join, relative } = require('path');

const root = join(__dirname, '..');
const source = join(root, 'src', 'commands', 'cli.ts');

/** Every file under `dir`, sorted, so the same tree always hashes alike. */
function filesUnder(dir) {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)]))
    .sort();
}

/** The bundle of the sources as they are now, built when no bundle of this content exists. */
function checkoutBundle() {
  const hash = createHash('sha256');
  for (const file of [...filesUnder(join(root, 'src')), join(root, 'tsconfig.json')]) {
    hash.update(relative(root, file)).update('\0').update(readFileSync(file)).update('\0');
  }
  const dir = join(root, '.local', 'cli');
  const bundle = join(dir, `${hash.digest('hex').slice(0, 16)}.js`);
  if (existsSync(bundle)) return bundle;
  mkdirSync(dir, { recursive: true });
  // Through a temporary file: parallel steps never load a half-written bundle.
  const partial = `${bundle}.${process.pid}.tmp`;
  require('esbuild').buildSync({
    entryPoints: [source], bundle: true, platform: 'node', target: 'node18', format: 'cjs',
    packages: 'external', outfile: partial, logLevel: 'error', legalComments: 'none',
  });
  renameSync(partial, bundle);
  // Bundles of older sources go an hour after they were built.
  for (const old of readdirSync(dir).map((f) => join(dir, f))) {
    try {
      if (old !== bundle && Date.now() - statSync(old).mtimeMs > 3_600_000) rmSync(old, { force: true });
    } catch { /* another step removed it */ }
  }
  return bundle;
}

const cli = existsSync(source) ? require(checkoutBundle()) : require(join(root, 'lib', 'commands', 'cli.js'));
cli.main(process.argv.slice(2)).then((code) => process.exit(code));
