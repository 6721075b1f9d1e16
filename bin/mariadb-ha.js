#!/usr/bin/env node
// Runs the TypeScript source in a checkout (so it is never stale), the compiled CLI in a package.
const { existsSync } = require('fs');
const { join } = require('path');

const root = join(__dirname, '..');
const source = join(root, 'src', 'commands', 'cli.ts');
let cli;
if (existsSync(source)) {
  require('ts-node').register({ transpileOnly: true, project: join(root, 'tsconfig.json') });
  cli = require(source);
} else {
  cli = require(join(root, 'lib', 'commands', 'cli.js'));
}
cli.main(process.argv.slice(2)).then((code) => process.exit(code));
