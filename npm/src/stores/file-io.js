// File-system helpers of the file store: all-or-nothing writes, fsync of
// directories, reads that treat a missing file as null.

import { closeSync, fsyncSync, openSync, readFileSync, readSync, renameSync, unlinkSync, writeSync } from 'node:fs';

export function fsyncDir(dir) {
  let fd;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch (e) {
    // Some platforms cannot fsync a directory (Windows); Linux and macOS can.
    if (!['EISDIR', 'EINVAL', 'EPERM', 'EBADF', 'ENOTSUP'].includes(e.code)) throw e;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

export function readIfExists(file) {
  try {
    return readFileSync(file);
  } catch (e) {
    if (e.code === 'ENOENT') return null;
    throw e;
  }
}

/** The bytes [offset, offset + length) of `file` (fewer if it ends before). */
export function readRange(file, offset, length) {
  const fd = openSync(file, 'r');
  try {
    const b = Buffer.alloc(length);
    let got = 0;
    while (got < length) {
      const n = readSync(fd, b, got, length - got, offset + got);
      if (n === 0) break;
      got += n;
    }
    return b.subarray(0, got);
  } finally {
    closeSync(fd);
  }
}

/** Writes `bytes` to a new `file` (mode 0600) and fsyncs it. */
function writeSynced(file, bytes) {
  const fd = openSync(file, 'w', 0o600);
  try {
    writeAll(fd, bytes);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Writes `bytes` to `file` all-or-nothing: FILE.tmp, fsync, rename, fsync the directory. */
export function writeAtomic(dir, file, bytes) {
  const tmp = `${file}.tmp`;
  writeSynced(tmp, bytes);
  renameSync(tmp, file);
  fsyncDir(dir);
}

/**
 * Writes the same `bytes` to every file of `files` (the state mirrors):
 * each FILE.tmp written and fsynced first, then renamed over FILE one after
 * the other, then one fsync of the directory. A failure while writing the
 * temp files (a full disk) leaves every file as it was; a kill between two
 * renames leaves some files old and some new, each of them whole.
 */
export function writeMirrored(dir, files, bytes) {
  const tmps = files.map((f) => `${f}.tmp`);
  try {
    for (const tmp of tmps) writeSynced(tmp, bytes);
  } catch (e) {
    for (const tmp of tmps) {
      try {
        unlinkSync(tmp);
      } catch {
        // not written
      }
    }
    throw e;
  }
  files.forEach((file, i) => renameSync(tmps[i], file));
  fsyncDir(dir);
}

export function writeAll(fd, bytes, position = null) {
  let off = 0;
  while (off < bytes.length) {
    const n = writeSync(fd, bytes, off, bytes.length - off, position === null ? null : position + off);
    off += n;
  }
}

/** Creates an empty file (a marker). */
export function writeAtomicMarker(path) {
  closeSync(openSync(path, 'w', 0o600));
}
