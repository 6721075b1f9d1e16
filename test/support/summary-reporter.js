// Writes jest's own pass/fail counts to .local/jest-summary.json for .ci/run's last line, and each
// test file's time to .local/jest-timings.json for the suite's timing table (bench/suite.ts).
const { mkdirSync, writeFileSync } = require('fs');
const { join, relative } = require('path');

class SummaryReporter {
  constructor(globalConfig) {
    this.rootDir = globalConfig.rootDir;
    this.started = Date.now();
  }

  onRunComplete(_contexts, results) {
    const dir = join(this.rootDir, '.local');
    mkdirSync(dir, { recursive: true });
    const { numPassedTests, numFailedTests, numPendingTests, numTotalTests, numRuntimeErrorTestSuites } = results;
    writeFileSync(join(dir, 'jest-summary.json'), JSON.stringify({ numPassedTests, numFailedTests, numPendingTests, numTotalTests, numRuntimeErrorTestSuites }, null, 2));
    const files = results.testResults.map((r) => ({
      file: relative(this.rootDir, r.testFilePath),
      project: r.displayName?.name ?? '',
      seconds: (r.perfStats.end - r.perfStats.start) / 1000,
      passed: r.numPassingTests,
      failed: r.numFailingTests + (r.testExecError ? 1 : 0),
    }));
    writeFileSync(join(dir, 'jest-timings.json'), JSON.stringify({ wallSeconds: (Date.now() - this.started) / 1000, files }, null, 2));
  }
}

module.exports = SummaryReporter;
