import { describe, expect, it } from 'vitest';
import { otherSections, sectionsOf } from './doc-sections';

const doc = `# Benchmarks

Intro.

## Hot path

a

## History: flat

b
### sub

## Live sockets

c
`;

describe('sections of docs/benchmarks.md', () => {
  it('splits at level-2 headings, sub-headings inside', () => {
    expect(sectionsOf(doc)).toEqual([
      '## Hot path\n\na',
      '## History: flat\n\nb\n### sub',
      '## Live sockets\n\nc',
    ]);
  });

  it('keeps the sections another benchmark wrote', () => {
    expect(otherSections(doc, ['Hot path'])).toEqual([
      '## History: flat\n\nb\n### sub',
      '## Live sockets\n\nc',
    ]);
  });
});
