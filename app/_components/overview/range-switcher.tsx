'use client';

import { type Range, rangeNames, ranges } from '@/lib/overview/ranges';
import { button } from './ui';

export function RangeSwitcher({ value, onChange }: { value: Range; onChange: (range: Range) => void }) {
  return (
    // biome-ignore lint/a11y/useSemanticElements: a toolbar of toggle buttons, not a form section
    <div role="group" aria-label="Chart range" className="flex gap-1">
      {rangeNames.map((r) => (
        <button
          key={r}
          type="button"
          className={`${button} px-2 py-1 text-xs`}
          aria-pressed={r === value}
          onClick={() => onChange(r)}
        >
          {ranges[r].label}
        </button>
      ))}
    </div>
  );
}
