// npm run docs:check (a step of npm test): the documentation holds together.
//   1. TypeDoc runs over the package's entry points without writing anything (`--emit none`):
//      with typedoc.json's treatWarningsAsErrors and validation, an undocumented public export,
//      a broken {@link}, or a public type that uses an unexported one fails it.
//   2. Every relative link in README.md, BENCHMARKS.md and docs/*.md points to a file that
//      exists, and its #anchor, if any, to a heading of that Markdown file.
// Exits 1 naming each problem.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const problems = [];

// 1. TypeDoc, its own binary, without emitting the site.
const typedoc = join(root, 'node_modules', 'typedoc', 'bin', 'typedoc');
const run = spawnSync(process.execPath, [typedoc, '--emit', 'none'], { cwd: root, encoding: 'utf8' });
const typedocOutput = `${run.stdout ?? ''}${run.stderr ?? ''}`.trim();
if (run.error !== undefined) problems.push(`typedoc did not run: ${run.error.message}`);
else if (run.status !== 0) problems.push(`typedoc failed (exit ${run.status}):\n${typedocOutput}`);

// 2. Relative links of the Markdown pages.
const pages = ['README.md', 'BENCHMARKS.md', ...markdownIn('docs')];
const headingsCache = new Map();
let links = 0;
for (const page of pages) {
  const text = withoutCode(readFileSync(join(root, page), 'utf8'));
  for (const { target, line } of linksIn(text)) {
    if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // http:, https:, mailto:
    links++;
    const [path, anchor] = splitAnchor(target);
    const file = path === '' ? join(root, page) : resolve(dirname(join(root, page)), decodeURIComponent(path));
    const where = `${page}:${line}: ${target}`;
    if (!file.startsWith(root)) {
      problems.push(`${where}: points outside the repository`);
      continue;
    }
    if (!existsSync(file)) {
      problems.push(`${where}: no such file ${relative(root, file)}`);
      continue;
    }
    if (anchor === undefined) continue;
    if (statSync(file).isDirectory() || !file.endsWith('.md')) {
      problems.push(`${where}: an anchor into ${relative(root, file)}, which is no Markdown file`);
      continue;
    }
    if (!headingsOf(file).has(anchor)) problems.push(`${where}: no heading #${anchor} in ${relative(root, file)}`);
  }
}

if (problems.length > 0) {
  console.error(`docs: ${problems.length} problem(s)\n${problems.map((problem) => `  ${problem}`).join('\n')}`);
  process.exit(1);
}
console.log(
  `docs: TypeDoc found every public export documented; ${links} relative links in ${pages.length} pages point to existing files and headings`,
);

/** The Markdown files of a folder, recursively, as paths from the root; generated folders left out. */
function markdownIn(folder) {
  const found = [];
  for (const entry of readdirSync(join(root, folder), { withFileTypes: true })) {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) {
      if (path !== join('docs', 'api')) found.push(...markdownIn(path));
    } else if (entry.name.endsWith('.md')) found.push(path);
  }
  return found.sort();
}

/** The text with fenced code blocks and inline code blanked (kept as lines, so line numbers hold). */
function withoutCode(text) {
  return text
    .replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, (block) => block.replace(/[^\n]/g, ' '))
    .replace(/`[^`\n]*`/g, (code) => ' '.repeat(code.length));
}

/** Inline links `[text](target)` and reference definitions `[name]: target`, with their line. */
function* linksIn(text) {
  const lines = text.split('\n');
  for (const [index, content] of lines.entries()) {
    for (const match of content.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
      yield { target: match[1], line: index + 1 };
    }
    const definition = /^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)/.exec(content);
    if (definition) yield { target: definition[1], line: index + 1 };
  }
}

function splitAnchor(target) {
  const at = target.indexOf('#');
  return at === -1 ? [target, undefined] : [target.slice(0, at), target.slice(at + 1)];
}

/** The anchors GitHub makes for a Markdown file's headings (duplicates get -1, -2, …). */
function headingsOf(file) {
  let anchors = headingsCache.get(file);
  if (anchors !== undefined) return anchors;
  anchors = new Set();
  const counts = new Map();
  const text = readFileSync(file, 'utf8').replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '');
  for (const match of text.matchAll(/^#{1,6}[ \t]+(.+?)[ \t]*#*[ \t]*$/gm)) {
    const slug = slugOf(match[1]);
    const seen = counts.get(slug) ?? 0;
    counts.set(slug, seen + 1);
    anchors.add(seen === 0 ? slug : `${slug}-${seen}`);
  }
  headingsCache.set(file, anchors);
  return anchors;
}

/** GitHub's heading slug: the text without markup, lower case, punctuation dropped, spaces as hyphens. */
function slugOf(heading) {
  return heading
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1') // a link's text
    .replace(/<[^>]+>/g, '') // HTML tags
    .replace(/[`*~]/g, '') // code and emphasis marks (underscores stay, as on GitHub)
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
    .replace(/ /g, '-');
}
