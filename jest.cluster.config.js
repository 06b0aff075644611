/**
 * `npm run test:cluster`: the queue's suites against a real 3-master Redis Cluster
 * (REDIS_CLUSTER=true, as on ElastiCache with cluster mode on). The global setup is the
 * usual one (test/support/global-setup.ts); TEST_REDIS_CLUSTER makes it start the
 * cluster (infra/local/redis-cluster.ts) in place of the single redis-server.
 */
const base = require('./jest.config');

process.env.TEST_REDIS_CLUSTER = 'true';

/** @type {import('jest').Config} */
module.exports = {
  ...base,
  testMatch: [
    '<rootDir>/test/integration/waiting-room.test.ts',
    '<rootDir>/test/integration/lua-scripts.test.ts',
    '<rootDir>/test/e2e/queue.test.ts',
    '<rootDir>/test/cluster/**/*.test.ts',
  ],
  testPathIgnorePatterns: ['/node_modules/'],
};
