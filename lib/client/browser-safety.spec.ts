import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const clientDir = dirname(fileURLToPath(import.meta.url));
/** What the server and the client share (event names): dependency-free, checked the same way. */
const protocolDir = join(clientDir, '..', 'protocol');
/** The only packages the client may load: it must run in browsers, and without the server. */
const ALLOWED_PACKAGES = ['eventsource-parser', 'rxjs'];

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts') ? [path] : [];
  });
}

describe('the client entry point', () => {
  const files = [...sources(clientDir), ...sources(protocolDir)];

  it('has sources to check', () => {
    expect(files.length).toBeGreaterThan(10);
  });

  it.each(files.map((file) => [relative(clientDir, file), file]))(
    '%s imports nothing Node-only and nothing from the server',
    (_name, file) => {
      const text = readFileSync(file as string, 'utf8');
      const specifiers = [
        ...text.matchAll(/\bfrom\s+'([^']+)'|\bimport\s*\(\s*'([^']+)'\s*\)/g),
      ].map((match) => match[1] ?? match[2]);
      for (const specifier of specifiers) {
        if (specifier?.startsWith('.')) {
          const target = join(dirname(file as string), specifier);
          const inside = (dir: string) => !relative(dir, target).startsWith('..');
          expect(inside(clientDir) || inside(protocolDir)).toBe(true);
        } else {
          expect(ALLOWED_PACKAGES).toContain(specifier);
        }
      }
      expect(text).not.toMatch(/\b(process|Buffer|require)\s*[.(]/);
    },
  );
});
