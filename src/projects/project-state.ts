// The project as its writer holds it in memory: the project record, its environments, every flag key
// and the flags it has read or written, with every staged change applied in order, committed or not. A change is
// planned against this state, so it sees the changes queued before it; when a batch fails the whole
// state is dropped (never patched back) and the next change reads what D1 really holds.
import type { Flag } from "../flags/model";
import type { RevisionChange } from "./revision-fields";
import { listFlagKeys, loadFlag } from "../flags/store";
import type { Db } from "../kernel/app-env";
import type { Environment } from "../kernel/project-scope";
import type { ProjectRecord } from "../kernel/project-scope";

export interface Project extends ProjectRecord {
  environments: Environment[];
}

/** One change of one flag: either side null for a creation or a deletion. */
export interface FlagChange {
  before: Flag | null;
  after: Flag | null;
}

export class ProjectState {
  /** Flags by key, once read; null marks a key a staged change deleted (D1 may still hold it until the commit). */
  private readonly flags = new Map<string, Flag | null>();
  /** What the changes staged and not yet committed changed, oldest first: revert reads them beside D1's records. */
  readonly uncommitted: RevisionChange[] = [];

  /** `keys`: every flag key of the project, as D1 had them when the state was read. */
  private constructor(
    readonly project: Project,
    private readonly keys: Set<string>,
    private readonly db: Db,
  ) {}

  static async load(db: Db, project: Project): Promise<ProjectState> {
    return new ProjectState(project, new Set(await listFlagKeys(db, project.id)), db);
  }

  /** The flag as the last staged change left it, read from D1 the first time; a key not there needs no read. */
  async flag(key: string): Promise<Flag | null> {
    const known = this.flags.get(key);
    if (known !== undefined) return known;
    if (!this.keys.has(key)) return null;
    const flag = await loadFlag(this.db, this.project.id, key, this.project.environments);
    if (flag) this.flags.set(key, flag);
    return flag;
  }

  /** Applies a planned change; answers the project revision it will commit as. */
  apply(change: FlagChange): number {
    const { before, after } = change;
    if (before && before.key !== after?.key) {
      this.flags.set(before.key, null);
      this.keys.delete(before.key);
    }
    if (after) {
      this.flags.set(after.key, after);
      this.keys.add(after.key);
    }
    this.project.revision += 1;
    return this.project.revision;
  }

  /** The changes up to `revision` are durable: D1 holds their records now. */
  settle(revision: number): void {
    while (this.uncommitted.length && this.uncommitted[0].revision <= revision) this.uncommitted.shift();
  }

  /** Every flag this state holds, for a change that touches all of them (a new environment). */
  updateEach(fn: (flag: Flag) => Flag): void {
    for (const [key, flag] of this.flags) if (flag) this.flags.set(key, fn(flag));
  }
}
