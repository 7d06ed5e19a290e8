// For a quick local run of tests that need no server:
//   npx jest --globalSetup ./test/setup/noop.ts --globalTeardown ./test/setup/noop.ts test/infra
export default async function noop(): Promise<void> {}
