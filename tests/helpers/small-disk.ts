import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export type SmallDisk = {
  dir: string;
  /** Fills the filesystem to its last byte, as a log file or another program would. */
  fill(): void;
  /** Frees what `fill` took. */
  free(): void;
  /** Unmounts it and removes the mount point. */
  remove(): void;
};

/**
 * A small filesystem of the test's own (tmpfs of `sizeMb`), to fill and free again. Mounting needs root (CI here);
 * elsewhere the reason is returned instead.
 */
export function mountSmallDisk(sizeMb: number): SmallDisk | { missing: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'sluice-small-disk-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeMb}m`, 'tmpfs', dir], { stdio: 'pipe' });
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    return { missing: `a small filesystem cannot be mounted here (it needs root): ${String(error).split('\n')[0]}` };
  }
  const filler = path.join(dir, 'filler');
  return {
    dir,
    fill() {
      const fd = openSync(filler, 'a');
      try {
        // Big writes first, then page-sized ones for the last bytes.
        for (const size of [1 << 20, 4096]) {
          const chunk = Buffer.alloc(size, 1);
          try {
            for (;;) writeSync(fd, chunk);
          } catch (error) {
            if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
          }
        }
      } finally {
        closeSync(fd);
      }
    },
    free: () => rmSync(filler, { force: true }),
    remove() {
      execFileSync('umount', ['-l', dir]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
