// Finds the links of a packed README that would be broken on the registry page: a relative link (or image)
// to a file the tarball does not hold, or one that climbs out of the package. Absolute URLs and in-page
// anchors are fine; link to a repository file with its absolute GitHub URL instead.
import { posix } from 'node:path';

const INLINE = /!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g;
const REFERENCE = /^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+.*)?$/gm;

/**
 * @param {string} readme the README text
 * @param {string[]} files the tarball's file list, relative to the package root
 * @returns {string[]} one problem per bad link
 */
export function readmeLinkProblems(readme, files) {
  // Code blocks and code spans show commands, not links.
  const prose = readme
    .replace(/^ {0,3}(`{3,}|~{3,})[^\n]*\n[\s\S]*?^ {0,3}\1\s*$/gm, '')
    .replace(/`[^`\n]*`/g, '');
  const targets = [...prose.matchAll(INLINE), ...prose.matchAll(REFERENCE)].map((m) => m[1]);
  const problems = [];
  for (const target of targets) {
    if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('#') || target.startsWith('//')) continue;
    const file = posix.normalize(decodeURIComponent(target.split('#')[0]).replace(/^\.\//, ''));
    const inside = !file.startsWith('../') && !file.startsWith('/');
    const isDir = files.some((f) => f.startsWith(`${file.replace(/\/$/, '')}/`));
    if (!inside || !(files.includes(file) || isDir)) {
      problems.push(`README links to ${target}, which is not in the package: use an absolute GitHub URL`);
    }
  }
  return problems;
}
