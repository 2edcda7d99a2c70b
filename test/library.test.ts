// The README's "Use gantry as a library" example, run as written: through the package's own name
// (`import … from 'gantry'`, resolved by package.json's exports map), so the published entry point,
// its exports and the example stay in step. sampleRun must give back the final evaluation exactly.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';

const root = join(__dirname, '..');

it("the README's library example runs as written; sampleRun reproduces final.json's report", () => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Use gantry as a library'));
  const code = /```js\n([\s\S]*?)```/.exec(section)?.[1];
  expect(code, 'a ```js block under "Use gantry as a library"').toBeTruthy();
  // Inside the package folder, so that Node resolves 'gantry' to this package (self-reference).
  const dir = mkdtempSync(join(root, '.library-example-'));
  try {
    writeFileSync(join(dir, 'example.mjs'), code!);
    const r = spawnSync(process.execPath, ['example.mjs'], { cwd: dir, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const line = (tag: string) => JSON.parse(r.stdout.split('\n').find((l) => l.startsWith(`${tag}: `))!.slice(tag.length + 2));
    const final = line('final');
    expect(final.modes_max).toBe(8);
    expect(final.n).toBe(2500);
    expect(line('again')).toEqual(final);
    expect(JSON.parse(readFileSync(join(dir, 'runs', 'library-example', 'final.json'), 'utf8')).modes).toBe(final.modes);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
