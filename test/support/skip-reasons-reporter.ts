// Vitest's own reporter shows skipped tests only as a count. This one prints, before vitest's closing lines,
// one line per group of skipped tests with the group's title and note — the skip reason (e.g. the Redis
// suites name the missing redis-server in their describe title).
import type { Reporter, TestCase, TestModule, TestSuite, Vitest } from "vitest/node";

export default class SkipReasonsReporter implements Reporter {
  private filtered = false;

  onInit(vitest: Vitest): void {
    this.filtered = vitest.config.testNamePattern !== undefined; // -t skips what it does not match: no reason to print
  }

  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    if (this.filtered) return;
    const groups = new Map<string, number>();
    for (const module of testModules) {
      for (const test of module.children.allTests("skipped")) {
        const key = skipGroup(module, test);
        groups.set(key, (groups.get(key) ?? 0) + 1);
      }
    }
    for (const [group, count] of groups) console.log(`skipped ${count} test${count === 1 ? "" : "s"}: ${group}`);
  }
}

function skipGroup(module: TestModule, test: TestCase): string {
  const result = test.result();
  const note = result.state === "skipped" && result.note ? ` — ${result.note}` : "";
  let outermost: TestCase | TestSuite = test;
  while (outermost.parent.type === "suite") outermost = outermost.parent;
  return `${module.relativeModuleId} > ${outermost.name}${note}`;
}
