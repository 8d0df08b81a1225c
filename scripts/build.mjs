// Builds dist/esm (ES modules) and dist/cjs (CommonJS) from src/, one output file per
// source file so that both builds keep a single instance of each module, and writes the
// type declarations next to both.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { cpSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const sources = readdirSync(join(root, 'src'), { recursive: true })
  .map(String)
  .filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'))
  .map((file) => join(root, 'src', file));

rmSync(join(root, 'dist'), { recursive: true, force: true });

const shared = {
  entryPoints: sources,
  outbase: join(root, 'src'),
  platform: 'node',
  target: 'node22',
  sourcemap: true,
  logLevel: 'warning',
};
await build({ ...shared, outdir: join(root, 'dist/esm'), format: 'esm' });
await build({
  ...shared,
  outdir: join(root, 'dist/cjs'),
  format: 'cjs',
  // import.meta.url has no CommonJS meaning: give each file its own URL instead.
  define: { 'import.meta.url': '__otelSessionsModuleUrl' },
  banner: { js: 'var __otelSessionsModuleUrl = require("node:url").pathToFileURL(__filename).href;' },
});
writeFileSync(join(root, 'dist/esm/package.json'), '{ "type": "module" }\n');
writeFileSync(join(root, 'dist/cjs/package.json'), '{ "type": "commonjs" }\n');

execFileSync(
  process.execPath,
  [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.build.json')],
  { stdio: 'inherit' },
);
cpSync(join(root, 'dist/esm'), join(root, 'dist/cjs'), {
  recursive: true,
  filter: (path) => !path.endsWith('.js') && !path.endsWith('.js.map') && !path.endsWith('package.json'),
});
