import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * Issue #20: one way to show time. Every time in the console goes through
 * app/_components/ui/time-format.ts (the `<Time>` component, chart axes, dialog texts); any
 * other page that formats a date itself brings back the three formats on neighbouring pages.
 */
const APP = path.join(import.meta.dirname, '..', 'app');
const TIME_MODULE = path.join('_components', 'ui', 'time-format.ts');

/** Date (and locale) formatting outside the time module: each one a second clock. */
const FORBIDDEN: [string, RegExp][] = [
  ['toISOString', /\.toISOString\(/],
  ['toUTCString / toGMTString', /\.to(UTC|GMT)String\(/],
  ['toDateString / toTimeString', /\.to(Date|Time)String\(/],
  ['toLocale*String', /\.toLocale\w*String\(/],
  ['Intl.DateTimeFormat / RelativeTimeFormat', /Intl\.(DateTimeFormat|RelativeTimeFormat)/],
  ['hand-made clock parts', /\.get(UTC)?(Hours|Minutes|Seconds|Date|Month|FullYear)\(/],
  ['a date library', /from ['"](date-fns|dayjs|moment|luxon)/],
];

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sources(full);
    return /\.tsx?$/.test(entry.name) ? [full] : [];
  });
}

function offences(text: string): string[] {
  const found: string[] = [];
  text.split('\n').forEach((line, i) => {
    for (const [name, pattern] of FORBIDDEN)
      if (pattern.test(line)) found.push(`${i + 1}: ${name}: ${line.trim()}`);
  });
  return found;
}

describe('date formatting in the console', () => {
  it('happens only in app/_components/ui/time-format.ts', () => {
    const files = sources(APP).filter((f) => path.relative(APP, f) !== TIME_MODULE);
    expect(files.length).toBeGreaterThan(50);
    const found = files.flatMap((f) =>
      offences(fs.readFileSync(f, 'utf8')).map((o) => `${path.relative(APP, f)}:${o}`),
    );
    expect(found).toEqual([]);
  });

  it('would catch each kind of second clock', () => {
    // The patterns themselves, so a typo in one cannot make the check above pass vacuously.
    for (const line of [
      'const s = d.toISOString();',
      'x.toUTCString()',
      'label = d.toLocaleTimeString("en-US")',
      'count.toLocaleString()',
      'new Intl.DateTimeFormat("en", {})',
      'const h = d.getHours();',
      "import { format } from 'date-fns';",
    ])
      expect(offences(line), line).toHaveLength(1);
    expect(offences('const wire = toWire(d);')).toEqual([]);
  });

  it('lets the time module itself be found, so the exemption is not a typo', () => {
    expect(fs.existsSync(path.join(APP, TIME_MODULE))).toBe(true);
  });
});
