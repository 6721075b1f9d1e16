// Longest test files first, so a long live file never starts last and holds the run up alone.
// Seconds come from the last jest run in this checkout (.local/jest-timings.json, written by the
// summary reporter), else from the table below (a warm CI run's, for a fresh clone); a file in
// neither weighs its size in kilobytes. A file that failed last time still runs first.
const Sequencer = require('@jest/test-sequencer').default;
const { existsSync, readFileSync, statSync } = require('fs');
const { join, relative } = require('path');

const CI_SECONDS = {
  'test/live/galera.test.ts': 290,
  'test/live/rolling-upgrade.test.ts': 200,
  'test/live/topology-change.test.ts': 234,
  'test/live/three-masters-async.test.ts': 165,
  'test/live/three-masters-semi-sync.test.ts': 165,
  'test/live/aws-moto.test.ts': 143,
  'test/live/writers-growth.test.ts': 109,
  'test/live/failover.test.ts': 107,
  'test/live/writer-endpoint.test.ts': 75,
  'test/live/security.test.ts': 63,
  'test/package/jsii.test.ts': 49,
  'test/live/semi-sync.test.ts': 46,
  'test/live/virtual-ip.test.ts': 45,
  'test/live/master-master.test.ts': 42,
  'test/live/installed-package.test.ts': 34,
  'test/live/galera-all-writers.test.ts': 90,
  'test/lint.test.ts': 12,
};

function measured(rootDir) {
  const path = join(rootDir, '.local', 'jest-timings.json');
  if (!existsSync(path)) return {};
  try {
    return Object.fromEntries(JSON.parse(readFileSync(path, 'utf8')).files.map((f) => [f.file, f.seconds]));
  } catch {
    return {};
  }
}

class LongestFirst extends Sequencer {
  sort(tests) {
    if (tests.length === 0) return tests;
    const rootDir = tests[0].context.config.rootDir;
    const seconds = { ...CI_SECONDS, ...measured(rootDir) };
    const weight = (test) => {
      const file = relative(rootDir, test.path);
      return seconds[file] ?? statSync(test.path).size / 1000;
    };
    return [...tests].sort((a, b) => Number(this.hasFailed(b)) - Number(this.hasFailed(a)) || weight(b) - weight(a));
  }
}

module.exports = LongestFirst;
