import { spawnSync } from 'node:child_process';

/**
 * Reads JUnit XML with a real consumer: Debian's python3-junitparser (the parser many CI tools and
 * report mergers use), installed by .ci/run. Debian's own Python (/usr/bin/python3), which is the
 * one that sees the Debian module whatever python3 is first on PATH.
 */
export interface ParsedCase {
  classname: string;
  name: string;
  results: Array<{ tag: string; type: string | null; message: string | null; text: string | null }>;
  systemOut: string | null;
}

export interface ParsedSuite {
  name: string;
  tests: number;
  failures: number;
  errors: number;
  skipped: number;
  properties: Record<string, string>;
  cases: ParsedCase[];
}

const SCRIPT = `
import json, sys
from junitparser import JUnitXml, TestSuite
xml = JUnitXml.fromfile(sys.argv[1])
suites = [xml] if isinstance(xml, TestSuite) else list(xml)
out = []
for s in suites:
    cases = []
    for c in s:
        cases.append({"classname": c.classname, "name": c.name, "systemOut": c.system_out,
                      "results": [{"tag": r._tag, "type": r.type, "message": r.message, "text": r.text} for r in c.result]})
    out.append({"name": s.name, "tests": s.tests, "failures": s.failures, "errors": s.errors, "skipped": s.skipped,
                "properties": {p.name: p.value for p in s.properties()}, "cases": cases})
json.dump(out, sys.stdout)
`;

export function parseJunit(file: string): ParsedSuite[] {
  const r = spawnSync('/usr/bin/python3', ['-c', SCRIPT, file], { encoding: 'utf8', maxBuffer: 1 << 30, timeout: 120_000 });
  if (r.status !== 0) throw new Error(`junitparser could not read ${file}: ${r.stderr || r.error?.message}`);
  return JSON.parse(r.stdout) as ParsedSuite[];
}
