import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export interface Revision {
  readonly version: string;
  /** The commit the run's working tree is at, when it is a git checkout. */
  readonly commit: string | undefined;
  /** True when lib/ had uncommitted changes: the figures then belong to no commit. */
  readonly libraryModified: boolean | undefined;
}

/** Which library the figures are for. */
export function describeRevision(): Revision {
  const version = (JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as { version: string })
    .version;
  const commit = git('rev-parse', '--short', 'HEAD');
  const status = commit === undefined ? undefined : git('status', '--porcelain', '--', 'lib');
  return {
    version,
    commit,
    libraryModified: status === undefined ? undefined : status.length > 0,
  };
}

/**
 * Whether lib/ at HEAD differs from lib/ at `commit`: a run of `commit` no longer describes
 * the library. Undefined when git cannot tell (no checkout, or a shallow one without `commit`).
 */
export function libraryChangedSince(commit: string): boolean | undefined {
  if (git('cat-file', '-e', `${commit}^{commit}`) === undefined) return undefined;
  return git('diff', '--quiet', commit, 'HEAD', '--', 'lib') === undefined;
}

function git(...args: string[]): string | undefined {
  try {
    return execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', stdio: 'pipe' }).trim();
  } catch {
    return undefined;
  }
}

export function formatRevision(revision: Revision): string {
  const at = revision.commit === undefined ? '' : ` at ${revision.commit}`;
  const modified = revision.libraryModified ? ' with uncommitted changes in lib/' : '';
  return `nestjs-sse-channels ${revision.version}${at}${modified}`;
}
