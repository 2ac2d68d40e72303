import type { Reporter, TestModule } from 'vitest/node';
import { engineName } from '../helpers/engine.js';

/**
 * With TEST_TIMES=1, each file's time at the end of a run, slowest first: import, hooks and
 * tests (vitest's JSON reporter leaves out the first two, which is where gateways start). The
 * table in CONTRIBUTING.md is made of these lines.
 */
export default class TimesReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    const rows = modules.map((module) => {
      const { collectDuration, duration } = module.diagnostic();
      const tests = [...module.children.allTests()];
      const ran = tests.filter((test) => test.result().state !== 'skipped').length;
      return { module, seconds: (collectDuration + duration) / 1000, ran, skipped: tests.length - ran };
    });
    rows.sort((a, b) => b.seconds - a.seconds);
    const total = rows.reduce((sum, row) => sum + row.seconds, 0);
    console.log(`\nfile times on ${engineName}, Node.js ${process.version}: ${rows.length} files, ${total.toFixed(0)} s in all`);
    for (const { module, seconds, ran, skipped } of rows) {
      const count = skipped ? `${ran} + ${skipped} skipped` : String(ran);
      console.log(`| ${module.project.name} | ${module.relativeModuleId} | ${count} | ${seconds.toFixed(1)} |`);
    }
  }
}
