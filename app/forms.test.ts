/**
 * Every form posts. Forms submit through `useForm` once React has hydrated; a click before that
 * (a slow network, a script blocked) submits the HTML form itself, and a form without
 * `method="post"` sends its fields in the URL — a password into the address bar, the history and
 * every proxy's log. Found on the sign-in form; this keeps every form honest.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = new URL('.', import.meta.url).pathname;

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith('.tsx') && !entry.name.endsWith('.test.tsx') ? [path] : [];
  });
}

describe('forms', () => {
  const forms = sources(root).flatMap((file) =>
    [...readFileSync(file, 'utf8').matchAll(/<form\b[^>]*>/g)].map((m) => ({
      file: file.slice(root.length),
      tag: m[0],
    })),
  );

  it('are found (the sign-in form among them)', () => {
    expect(forms.some((f) => f.file === 'login/login-form.tsx')).toBe(true);
  });

  // method="dialog" closes its <dialog> and sends nothing anywhere.
  it('every one says method="post" (or "dialog"), so nothing typed ever lands in a URL', () => {
    expect(forms.filter((f) => !/\bmethod="(post|dialog)"/.test(f.tag))).toEqual([]);
  });
});
