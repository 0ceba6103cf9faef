// Whether the PDF worker's code on disk is still the code this daemon started with. An upgrade
// installed under a running daemon (`npm install -g` before the restart) leaves the daemon's
// own code in memory, but every worker it started after that loaded the new release's files,
// or half-written ones: tasks and answers of two releases that need not agree — a PDF could be
// refused to its requester as damaged for it. The pool starts no worker once the file changed,
// and the work waits for the restart that runs the new release whole (pdf-pool.ts).
import { statSync } from 'node:fs';

/** The file as the file system knows it: a file replaced (a new inode) or rewritten (size, time) reads otherwise; a missing one, null. */
function fileIdentity(path: string): string | null {
  try {
    const stats = statSync(path);
    return `${stats.dev}:${stats.ino}:${stats.size}:${stats.mtimeMs}`;
  } catch {
    return null;
  }
}

/** A test of whether `path` is the file it was when this was called. */
export function sameFileAs(path: string): () => boolean {
  const first = fileIdentity(path);
  return () => first !== null && fileIdentity(path) === first;
}
