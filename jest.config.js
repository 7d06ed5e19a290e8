/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: "<rootDir>/test/setup/node-environment.js",
  roots: ["<rootDir>/test"],
  testMatch: ["**/*.test.ts"],
  // Type-checking is `tsc --noEmit` in `npm test`; jest only transpiles.
  transform: {
    "^.+\\.ts$": ["ts-jest", { diagnostics: false }],
    // A few dependencies ship ESM only (hyparquet, uuid 13 under thrift, cookie under
    // light-my-request); Node 20 requires them natively but jest's module system cannot, so
    // jest transpiles them.
    "^.+/node_modules/(.+/)?(uuid/dist-node|cookie/dist|hyparquet/src)/.+\\.js$": [
      "ts-jest",
      { diagnostics: false, tsconfig: { allowJs: true } },
    ],
  },
  transformIgnorePatterns: ["/node_modules/(?!(.+/)?(uuid/dist-node|cookie/dist|hyparquet/src)/)"],
  reporters: ["default", "<rootDir>/test/setup/summary-reporter.js"],
  testTimeout: 60_000,
  // Test servers (Redis, Cassandra, S3) are shared by the files of one run.
  globalSetup: "<rootDir>/test/setup/global-setup.ts",
  globalTeardown: "<rootDir>/test/setup/global-teardown.ts",
};
