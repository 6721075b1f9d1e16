// Three projects: unit (pure and synth, milliseconds to seconds), package (the jsii build, API.md,
// the Python wheel and example; a minute) and live (real Docker, Terraform, MariaDB).
// The live project's global setup installs and starts what it needs, or fails saying why.
const transform = { '^.+\\.ts$': ['ts-jest', { diagnostics: false }] };

module.exports = {
  testTimeout: 30_000,
  testSequencer: '<rootDir>/test/support/sequencer.js',
  reporters: ['default', '<rootDir>/test/support/summary-reporter.js'],
  projects: [
    {
      displayName: 'unit',
      testEnvironment: 'node',
      transform,
      testMatch: ['<rootDir>/test/**/*.test.ts'],
      testPathIgnorePatterns: ['<rootDir>/test/live/', '<rootDir>/test/package/'],
      setupFilesAfterEnv: ['<rootDir>/test/support/setup-cdktf-jest.ts'],
    },
    {
      displayName: 'package',
      testEnvironment: 'node',
      transform,
      testMatch: ['<rootDir>/test/package/**/*.test.ts'],
    },
    {
      displayName: 'live',
      testEnvironment: 'node',
      transform,
      testMatch: ['<rootDir>/test/live/**/*.test.ts'],
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
    },
  ],
};
