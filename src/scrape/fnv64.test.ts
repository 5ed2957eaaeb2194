import { describe, expect, it } from 'vitest';
import { fnv64a } from './fnv64.js';

describe('fnv64a', () => {
  it.each([
    ['', 0xcbf29ce484222325n],
    ['a', 0xaf63dc4c8601ec8cn],
    ['foobar', 0x85944171f73967e8n],
    ['vm{}', 0x1f4e8e00d8f89d38n],
  ])('hashes %j', (input, want) => {
    expect(fnv64a(input)).toBe(want);
  });

  it('hashes strings as UTF-8', () => {
    expect(fnv64a('é')).toBe(fnv64a(Uint8Array.from([0xc3, 0xa9])));
  });
});
