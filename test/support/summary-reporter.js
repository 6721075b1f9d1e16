// Writes jest's own pass/fail counts to .local/jest-summary.json for .ci/run's last line, the
// failures in brief to .local/jest-failures.txt for the lines above it, and each test file's time
// (and each test's) to .local/jest-timings.json for the suite's timing table (bench/suite.ts).
const { mkdirSync, writeFileSync } = require('fs');
const { join, relative } = require('path');

/** A failure's first lines: its message, up to the context a live test appends (see FAILURE_CONTEXT), no stack frames of jest's own. */
function brief(message) {
  const lines = message.split('\n');
  const context = lines.findIndex((l) => /^--- what follows is context/.test(l.trim()));
  return (context >= 0 ? lines.slice(0, context) : lines)
    .filter((l) => l.trim() !== '' && !/^\s*at .*(node_modules|node:internal|<anonymous>)/.test(l));
}

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
      tests: r.testResults.map((t) => ({ title: t.fullName, seconds: (t.duration ?? 0) / 1000, status: t.status })),
    }));
    // The failures in brief, for the end of CI's output (the part a reader sees first).
    const plain = (text) => text.replace(/\u001b\[[0-9;]*m/g, '');
    // The first failure at length (a later one is often its cascade), the others in a few lines.
    const failures = results.testResults.flatMap((r) => [
      ...(r.testExecError ? [`${relative(this.rootDir, r.testFilePath)}: ${plain(r.testExecError.message).split('\n')[0]}`] : []),
      ...r.testResults.filter((t) => t.status === 'failed').map((t) => ({ file: relative(this.rootDir, r.testFilePath), t })),
    ]).map((f, i) => (typeof f === 'string' ? f
      : `${f.file} › ${f.t.fullName}\n${brief(plain(f.t.failureMessages.join('\n'))).slice(0, i === 0 ? 24 : 4).map((l) => `    ${l.slice(0, 300)}`).join('\n')}`));
    writeFileSync(join(dir, 'jest-failures.txt'), failures.join('\n'));
    writeFileSync(join(dir, 'jest-timings.json'), JSON.stringify({ wallSeconds: (Date.now() - this.started) / 1000, files }, null, 2));
  }
}

module.exports = SummaryReporter;
