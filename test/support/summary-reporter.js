// Writes jest's own pass/fail counts to .local/jest-summary.json for .ci/run's last line.
const { mkdirSync, writeFileSync } = require('fs');
const { join } = require('path');

class SummaryReporter {
  constructor(globalConfig) {
    this.rootDir = globalConfig.rootDir;
  }

  onRunComplete(_contexts, results) {
    const dir = join(this.rootDir, '.local');
    mkdirSync(dir, { recursive: true });
    const { numPassedTests, numFailedTests, numPendingTests, numTotalTests, numRuntimeErrorTestSuites } = results;
    writeFileSync(join(dir, 'jest-summary.json'), JSON.stringify({ numPassedTests, numFailedTests, numPendingTests, numTotalTests, numRuntimeErrorTestSuites }, null, 2));
  }
}

module.exports = SummaryReporter;
