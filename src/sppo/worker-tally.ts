// Per-worker throughput of one stage of one iteration, as the coordinator sees it: the units
// each worker (UnitOrigin.worker) returned, the tokens it generated or the pairs it judged, and
// the rates since the stage's first unit was sent. Carried on progress events (ProgressEvent.workers).

export interface WorkerRate {
  worker: string;
  units: number;
  /** tokens generated (generation) or pairs judged (judging) */
  items: number;
  /** per second of the stage so far (wall time since its first unit was sent) */
  unitsPerSecond: number;
  itemsPerSecond: number;
}

export class WorkerTally {
  private readonly t0 = performance.now();
  private readonly by = new Map<string, { units: number; items: number }>();
  note(worker: string, items: number): void {
    const w = this.by.get(worker) ?? { units: 0, items: 0 };
    w.units++; w.items += items;
    this.by.set(worker, w);
  }
  get size(): number { return this.by.size; }
  rates(): WorkerRate[] {
    const s = Math.max(1e-3, (performance.now() - this.t0) / 1000);
    return [...this.by].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([worker, w]) => ({ worker, units: w.units, items: w.items, unitsPerSecond: w.units / s, itemsPerSecond: w.items / s }));
  }
}

/** "w1 12 units (3.1/s, 250 tokens/s) · w2 ..." */
export function formatRates(rates: WorkerRate[], items: string): string {
  const r = (x: number) => (x >= 10 ? x.toFixed(0) : x.toFixed(1));
  return rates.map((w) => `${w.worker} ${w.units} units (${r(w.unitsPerSecond)}/s, ${r(w.itemsPerSecond)} ${items}/s)`).join(' · ');
}
