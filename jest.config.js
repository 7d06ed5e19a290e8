/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: "<rootDir>/test/setup/node-environment.js",
  roots: ["<rootDir>/test"],
  testMatch: ["**/*.test.ts"],
  // Type-checking is `tsc --noEmit` in `npm test`; jest only transpiles.
  transform: {
    "^.+\\.ts$": ["ts-jest", { diagnostics: false }],
    // uuid 13 (pulled in by thrift, under @dsnp/parquetjs) ships ESM only; Node 20 requires it
    // natively but jest's module system cannot, so jest transpiles it.
    "^.+/uuid/dist-node/.+\\.js$": ["ts-jest", { diagnostics: false, tsconfig: { allowJs: true } }],
  },
  transformIgnorePatterns: ["/node_modules/(?!(.*/)?uuid/dist-node/)"],
  testTimeout: 60_000,
  // Test servers (Redis, Cassandra, S3) are shared by the files of one run.
  globalSetup: "<rootDir>/test/setup/global-setup.ts",
  globalTeardown: "<rootDir>/test/setup/global-teardown.ts",
};
