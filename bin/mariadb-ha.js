#!/usr/bin/env node
// Runs the compiled CLI when the package is built, the TypeScript source otherwise.
const { existsSync } = require('fs');
const { join } = require('path');

const compiled = join(__dirname, '..', 'dist', 'src', 'tools', 'cli.js');
let cli;
if (existsSync(compiled)) {
  cli = require(compiled);
} else {
  require('ts-node').register({ transpileOnly: true, project: join(__dirname, '..', 'tsconfig.json') });
  cli = require(join(__dirname, '..', 'src', 'tools', 'cli.ts'));
}
cli.main(process.argv.slice(2)).then((code) => process.exit(code));
