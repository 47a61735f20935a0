/**
 * Two projects: unit specs next to the code, end-to-end specs on real sockets in test/.
 * ts-jest compiles TypeScript to ESM (run under `node --experimental-vm-modules`, see
 * package.json), which is what NestJS 12 needs; type checking runs separately (`npm run typecheck`).
 */
const transform = {
  '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json' }],
};
const shared = {
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform,
  testEnvironment: 'node',
};

export default {
  // End-to-end tests wait on real sockets; each still fails fast through its own waitFor timeouts.
  testTimeout: 30000,
  globalSetup: '<rootDir>/test/global-setup.js',
  projects: [
    { ...shared, displayName: 'unit', testMatch: ['<rootDir>/lib/**/*.spec.ts'] },
    {
      ...shared,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'],
    },
  ],
};
