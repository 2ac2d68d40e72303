import { configDefaults, defineConfig, type TestProjectInlineConfiguration } from 'vitest/config';

/**
 * The suite in groups, by what can make a test's result differ; a file's name says its group
 * (`*.db.test.ts`, ...), and the helpers refuse what its group does not provide (a database, a
 * process), so a file cannot sit in the wrong one. `vitest run` (npm test) runs them all on the
 * default engine; CI runs each again only where its result can differ (CONTRIBUTING.md).
 */
const SUFFIXES = ['db', 'process', 'embedded', 'browser'] as const;
const group = (name: string, include: string[], setup: string[], exclude: string[] = []): TestProjectInlineConfiguration => ({
  extends: true,
  test: {
    name,
    include,
    exclude: [...configDefaults.exclude, 'test/image/**', ...exclude],
    globalSetup: setup,
    env: { PAYRELAY_TEST_GROUP: name },
  },
});
const files = (suffix: string) => [`{src,test}/**/*.${suffix}.test.ts`];
const BUILD = 'test/setup/build.ts';
const DATABASE = 'test/setup/database.ts';

export default defineConfig({
  test: {
    pool: 'forks',
    // A test mostly waits (a flush, a process starting, a retry's delay), little of it is CPU:
    // three files at a time on two cores, where vitest's default (cores - 1) would run one.
    maxWorkers: 3,
    reporters: process.env.TEST_TIMES ? ['default', './test/setup/times-reporter.ts'] : ['default'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    projects: [
      // Pure functions and Node.js itself: only the Node.js version can change these.
      group('node', ['{src,test}/**/*.test.ts'], [], SUFFIXES.flatMap(files)),
      // The gateway in this process on a database cloned from the run's template: the SQL engine.
      group('db', files('db'), [DATABASE]),
      // Real processes (the built gateway, the CLI, outages, several replicas): the engine and Node.js.
      group('process', files('process'), [BUILD, DATABASE]),
      // The embedded server's own durability: it pins that engine.
      group('embedded', files('embedded'), [BUILD]),
      // Pages in Debian's Chromium.
      group('browser', files('browser'), [BUILD, DATABASE]),
    ],
  },
});
