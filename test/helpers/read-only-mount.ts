import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface ReadOnlyView {
  /** The same folder, mounted read-only: every file in it opens read-only, for root too. */
  dir: string;
  remove(): void;
}

/**
 * `dir` bind-mounted read-only at a new folder, or why that is not possible here. chmod does
 * not stop root (the CI user), a read-only mount does. SQLite opens a WAL database on a
 * read-only mount only while its -shm file exists, so the caller keeps a connection open on
 * the writable `dir` (as a backup job or another host's process would).
 */
export function readOnlyView(dir: string): ReadOnlyView | { skip: string } {
  if (process.platform !== 'linux') return { skip: `read-only bind mounts are Linux-only (here: ${process.platform})` };
  if (process.getuid?.() !== 0) return { skip: 'mounting a read-only view of a folder needs root' };
  const view = mkdtempSync(join(tmpdir(), 'webpig-read-only-'));
  try {
    execFileSync('mount', ['--bind', dir, view], { stdio: 'pipe' });
  } catch (err) {
    rmSync(view, { recursive: true, force: true });
    return { skip: `cannot bind-mount here: ${String((err as { stderr?: unknown }).stderr ?? err).trim()}` };
  }
  const remove = (): void => {
    execFileSync('umount', [view], { stdio: 'pipe' });
    rmSync(view, { recursive: true, force: true });
  };
  try {
    execFileSync('mount', ['-o', 'remount,ro,bind', view], { stdio: 'pipe' });
  } catch (err) {
    remove();
    return { skip: `cannot remount read-only here: ${String((err as { stderr?: unknown }).stderr ?? err).trim()}` };
  }
  return { dir: view, remove };
}

/**
 * `file` itself made read-only in place (bind-mounted read-only over itself): its folder stays
 * writable, as for a file another user owns. `remove()` gives the file back.
 */
export function readOnlyFile(file: string): { remove(): void } | { skip: string } {
  if (process.platform !== 'linux') return { skip: `read-only bind mounts are Linux-only (here: ${process.platform})` };
  if (process.getuid?.() !== 0) return { skip: 'mounting a read-only file needs root' };
  try {
    execFileSync('mount', ['--bind', file, file], { stdio: 'pipe' });
  } catch (err) {
    return { skip: `cannot bind-mount here: ${String((err as { stderr?: unknown }).stderr ?? err).trim()}` };
  }
  const remove = (): void => void execFileSync('umount', [file], { stdio: 'pipe' });
  try {
    execFileSync('mount', ['-o', 'remount,ro,bind', file], { stdio: 'pipe' });
  } catch (err) {
    remove();
    return { skip: `cannot remount read-only here: ${String((err as { stderr?: unknown }).stderr ?? err).trim()}` };
  }
  return { remove };
}
