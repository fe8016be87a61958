import fs from "node:fs";
import path from "node:path";

/** The journal directory this process owns, and the segments it adopted from dead owners. */
export interface JournalSlot {
  dir: string;
  name: string;
  /** Removes the lock (on a clean shutdown); the segments stay for the next owner. */
  release(): void;
}

const SLOT_PREFIX = "proxy-";
/** Files an earlier version's spool left at the top of the directory (complete and interrupted writes). */
const LEGACY_SPOOL_FILE = /^\.?[0-9][^/]*\.jsonl(\.tmp)?$/;

function alive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

function ownerOf(lock: string): number | null {
  try {
    return Number.parseInt(fs.readFileSync(lock, "utf8"), 10);
  } catch {
    return null;
  }
}

/** Takes `lock` for this process when it is free or its owner is dead; false when a live process holds it. */
function tryLock(lock: string): boolean {
  try {
    fs.writeFileSync(lock, String(process.pid), { flag: "wx", mode: 0o600 });
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  }
  const owner = ownerOf(lock);
  if (owner !== null && alive(owner)) return false;
  // A dead owner's lock: replace it atomically, then read it back in case another process raced us to it.
  const mine = `${lock}.${process.pid}`;
  fs.writeFileSync(mine, String(process.pid), { mode: 0o600 });
  fs.renameSync(mine, lock);
  return ownerOf(lock) === process.pid;
}

function moveFiles(from: string, to: string, filter: (name: string) => boolean): number {
  let moved = 0;
  for (const name of fs.readdirSync(from)) {
    if (!filter(name)) continue;
    try {
      // Keep the name (segment names sort by creation); a clash gets a suffix rather than an overwrite.
      const target = fs.existsSync(path.join(to, name)) ? `${name}.adopted-${process.pid}` : name;
      fs.renameSync(path.join(from, name), path.join(to, target));
      moved += 1;
    } catch (error) {
      // Another process adopted it first.
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    }
  }
  return moved;
}

/**
 * Claims the `proxy-<preferred>` directory under `root` when it is free, else the first free `proxy-<n>`
 * (creating it, private to this user), moves into it what an earlier spool left at the top of `root`, and adopts
 * the segments of every other slot whose owner is dead, so no journal is orphaned when a host runs fewer proxy
 * processes than before. A worker of a clustered proxy prefers its own index: restarted after a crash, it finds
 * and replays the segments it left.
 */
export function claimJournalSlot(root: string, preferred?: number): JournalSlot & { adopted: number } {
  // Captures hold prompts and answers: the journal is private to the proxy's user.
  fs.mkdirSync(root, { recursive: true, mode: 0o700 });
  fs.chmodSync(root, 0o700);
  let n = preferred ?? 0;
  if (preferred === undefined || !tryLock(path.join(root, `${SLOT_PREFIX}${n}.lock`))) {
    n = 0;
    while (!tryLock(path.join(root, `${SLOT_PREFIX}${n}.lock`))) n += 1;
  }
  const name = `${SLOT_PREFIX}${n}`;
  const dir = path.join(root, name);
  const lock = path.join(root, `${name}.lock`);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  let adopted = moveFiles(root, dir, (f) => LEGACY_SPOOL_FILE.test(f));
  for (const entry of fs.readdirSync(root)) {
    if (!entry.startsWith(SLOT_PREFIX) || entry === name || entry.includes(".")) continue;
    const otherLock = path.join(root, `${entry}.lock`);
    const owner = ownerOf(otherLock);
    if (owner !== null && alive(owner)) continue;
    if (!tryLock(otherLock)) continue;
    adopted += moveFiles(path.join(root, entry), dir, () => true);
    fs.rmSync(otherLock, { force: true });
  }
  return {
    dir,
    name,
    adopted,
    release() {
      if (ownerOf(lock) === process.pid) fs.rmSync(lock, { force: true });
    },
  };
}
