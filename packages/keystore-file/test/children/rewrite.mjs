// Child process: puts the bytes of <source> at <file> the way a careless writer might, then gives the file back
// the mtime (and atime) it had, to the nanosecond (`touch -r`). `in-place` overwrites the same inode without
// truncating it; `rename` writes a temporary file and renames it over <file>. Prints what stayed the same.
// Usage: node rewrite.mjs <file> <source> <in-place|rename>
import { execFileSync } from 'node:child_process';
import { closeSync, openSync, readFileSync, renameSync, statSync, writeFileSync, writeSync } from 'node:fs';

const [path, source, mode] = process.argv.slice(2);
const before = statSync(path, { bigint: true });
const bytes = readFileSync(source);
const reference = `${path}.times`;
writeFileSync(reference, '');
execFileSync('touch', ['-r', path, reference]);
if (mode === 'in-place') {
  const fd = openSync(path, 'r+');
  writeSync(fd, bytes, 0, bytes.length, 0);
  closeSync(fd);
  execFileSync('touch', ['-r', reference, path]);
} else {
  const temp = `${path}.rewrite`;
  writeFileSync(temp, bytes, { mode: 0o600 });
  execFileSync('touch', ['-r', reference, temp]);
  renameSync(temp, path);
}
const after = statSync(path, { bigint: true });
process.stdout.write(
  `${JSON.stringify({
    sameInode: after.ino === before.ino,
    sameSize: after.size === before.size,
    sameMtime: after.mtimeNs === before.mtimeNs,
  })}\n`,
);
