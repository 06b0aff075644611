/**
 * `npm test`: unit, integration and end-to-end tests. The global setup starts the
 * embedded stack (redis-server, DynamoDB Local, SQS emulator, serverless-offline) on
 * free ports, so nothing needs to run beforehand. Long load runs live in `npm run bench`.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // test/cluster needs the Redis Cluster stack: `npm run test:cluster` (jest.cluster.config.js).
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/cluster/'],
  moduleFileExtensions: ['ts', 'js', 'mjs', 'cjs', 'json', 'lua'],
  transform: {
    '^.+\\.(ts|js|mjs)$': ['@swc/jest', { jsc: { target: 'es2022' }, module: { type: 'commonjs' } }],
    // The queue's Lua scripts are imported as text (esbuild's text loader when deployed).
    '^.+\\.lua$': '<rootDir>/test/support/text-transform.js',
  },
  // ESM-only dependencies are compiled to CommonJS like our own code.
  transformIgnorePatterns: ['/node_modules/(?!(jose|@middy|mime)/)'],
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  // Every answer seen over HTTP must match the OpenAPI document (test/support/contract.ts).
  setupFilesAfterEnv: ['<rootDir>/test/support/contract-setup.ts'],
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  testTimeout: 120000,
  maxWorkers: 2,
  verbose: true,
};
