// The run store's contract: where a run keeps its artifacts, as the coordinator sees it. Its
// environments (src/sppo/env/store.ts: a directory on disk, memory; env/opfs-store.ts: OPFS)
// implement these calls. Every write is atomic: written to a temporary name, then renamed, so a
// crash leaves the old artifact or the new one.

export interface RunStore {
  /** human-readable location, for messages */
  readonly where: string;
  exists(path: string): Promise<boolean>;
  readText(path: string): Promise<string>;
  writeText(path: string, text: string): Promise<void>;
  /** names directly under a folder ([] when it does not exist) */
  list(path: string): Promise<string[]>;
  remove(path: string): Promise<void>;
  /** a real directory path for artifacts written by other code (model checkpoints), or null */
  localPath(path: string): string | null;
  /**
   * Takes the store's one-writer lock (a lock file on disk, a Web Lock in browsers), or throws an
   * error naming the holder; the coordinator holds it for the whole run. Absent: no other writer
   * can reach the store (memory).
   */
  lock?(): Promise<{ release(): void | Promise<void> }>;
}

/** JSONL helpers */
export const toJSONL = (rows: unknown[]) => rows.map((r) => JSON.stringify(r)).join('\n') + (rows.length ? '\n' : '');
export function fromJSONL<T = any>(text: string, where: string): T[] {
  const out: T[] = [];
  text.split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    try { out.push(JSON.parse(line)); } catch (e) {
      throw new Error(`${where}: line ${i + 1} is not valid JSON (${(e as Error).message}): fix or delete that line`);
    }
  });
  return out;
}
