/**
 * `node workers/bundled.mjs workers/<tool>.ts [args]`: runs a command-line entry point from a
 * cached esbuild bundle instead of compiling its TypeScript on every start (tsx took about half
 * of a 1.6 s `npm run rca`). The bundle lives in node_modules/.cache/pulse/ with the list of
 * files it was built from (esbuild's metafile); it is rebuilt when any of them, this launcher or
 * esbuild's version changed (a stat per input: well under a millisecond), so an edited source
 * is never run stale. Packages stay external (resolved from node_modules as usual); the `@/`
 * paths come from tsconfig.json. The entry must export `main(argv): Promise<number>` (its exit
 * status). Without esbuild the entry runs through tsx, as before.
 *
 * Plain JavaScript on purpose: it is what runs before anything is compiled.
 */
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const cacheDir = join(root, 'node_modules', '.cache', 'pulse');
const launcher = fileURLToPath(import.meta.url);

/** mtime and size of a file, or null when it is gone. */
function stamp(path) {
  try {
    const s = statSync(path);
    return `${s.mtimeMs}:${s.size}`;
  } catch {
    return null;
  }
}

function esbuildVersion() {
  try {
    return JSON.parse(readFileSync(join(root, 'node_modules', 'esbuild', 'package.json'), 'utf8'))
      .version;
  } catch {
    return null;
  }
}

/** True when the manifest's inputs, the launcher and esbuild are as they were at the build. */
function fresh(manifestPath, version) {
  let manifest;
  try {
    manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
  } catch {
    return false;
  }
  if (manifest.esbuild !== version || manifest.launcher !== stamp(launcher)) return false;
  for (const [file, was] of Object.entries(manifest.inputs)) {
    if (stamp(join(root, file)) !== was) return false;
  }
  return stamp(manifest.bundle) !== null;
}

async function build(entry, bundle, manifestPath, version) {
  const esbuild = await import('esbuild');
  mkdirSync(cacheDir, { recursive: true });
  // Written beside and renamed into place, so two runs building at once never see half a file.
  const temp = `${bundle}.${process.pid}.tmp.mjs`;
  const result = await esbuild.build({
    entryPoints: [entry],
    outfile: temp,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    tsconfig: join(root, 'tsconfig.json'),
    absWorkingDir: root,
    metafile: true,
    logLevel: 'error',
  });
  const inputs = {};
  for (const file of Object.keys(result.metafile.inputs)) inputs[file] = stamp(join(root, file));
  inputs['package.json'] = stamp(join(root, 'package.json'));
  inputs['tsconfig.json'] = stamp(join(root, 'tsconfig.json'));
  renameSync(temp, bundle);
  const manifest = { esbuild: version, launcher: stamp(launcher), bundle, inputs };
  writeFileSync(`${manifestPath}.${process.pid}.tmp`, JSON.stringify(manifest));
  renameSync(`${manifestPath}.${process.pid}.tmp`, manifestPath);
}

async function load(entry) {
  const name = relative(root, entry).replace(/[\\/]/g, '__').replace(/\.ts$/, '');
  const bundle = join(cacheDir, `${name}.mjs`);
  const manifestPath = join(cacheDir, `${name}.json`);
  const version = esbuildVersion();
  if (version !== null) {
    try {
      if (!fresh(manifestPath, version)) await build(entry, bundle, manifestPath, version);
      return await import(pathToFileURL(bundle).href);
    } catch (error) {
      const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
      console.error(`(no bundle of ${relative(root, entry)}: ${reason}; compiling it with tsx)`);
    }
  }
  // No esbuild (or it failed): compile on the fly, as tsx always did.
  const { register } = await import('tsx/esm/api');
  register();
  return import(pathToFileURL(entry).href);
}

const [target, ...argv] = process.argv.slice(2);
if (!target) {
  console.error(`usage: node ${basename(launcher)} workers/<tool>.ts [args]`);
  process.exit(2);
}
const { main } = await load(resolve(root, target));
main(argv).then(
  (code) => process.exit(code),
  (error) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
