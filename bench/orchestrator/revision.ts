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
  const git = (...args: string[]): string | undefined => {
    try {
      return execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', stdio: 'pipe' }).trim();
    } catch {
      return undefined;
    }
  };
  const commit = git('rev-parse', '--short', 'HEAD');
  const status = commit === undefined ? undefined : git('status', '--porcelain', '--', 'lib');
  return {
    version,
    commit,
    libraryModified: status === undefined ? undefined : status.length > 0,
  };
}

export function formatRevision(revision: Revision): string {
  const at = revision.commit === undefined ? '' : ` at ${revision.commit}`;
  const modified = revision.libraryModified ? ' with uncommitted changes in lib/' : '';
  return `nestjs-sse-channels ${revision.version}${at}${modified}`;
}
