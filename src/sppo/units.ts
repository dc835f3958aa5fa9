// The seam where a generation or judging unit may run somewhere else (src/queue/: BullMQ jobs
// taken by `sppo worker`s). A unit carries everything that decides its result — prompts, the
// policy's location, the seed of its random streams — so wherever it runs it returns the same
// bytes; the coordinator still writes every artifact itself, atomically, keyed by unit.
// The coordinator (layer 5) cannot import src/queue/ (layer 6): the queue registers a factory.
import type { CountedMatrices } from '../judge/matrix.js';
import type { SampleConfig } from '../sampling/index.js';
import type { SPPOConfig } from './config.js';
import type { PromptItem } from './prompts.js';
import type { RunStore } from './run-store.js';

/** prompts of one generation unit: K responses each from the policy at `policy` */
export interface GenerateUnit {
  iteration: number;
  unit: number;
  /** model location as the coordinator loads it: a directory, builtin:NAME or run:iter-N/model */
  policy: string;
  prompts: { item: PromptItem; ids: number[] }[];
  k: number;
  maxNewTokens: number;
  /** the stream of (prompt.index, k) is SamplerRng.fromSeed(seed, index·1024 + k) — a bigint as decimal text */
  seed: string;
  sample: SampleConfig;
  stop: string[];
}
/** responses[p][k] (token ids, EOS kept as in Policy.sample) and their texts */
export interface GenerateResult { responses: number[][][]; texts: string[][] }

/** the K responses of each prompt of one unit, to be judged pairwise into K×K matrices */
export interface JudgeUnit {
  iteration: number;
  unit: number;
  items: { prompt: string; responses: string[] }[];
}

/** who ran a unit and how long it took (progress and per-worker throughput) */
export interface UnitOrigin { worker: string; ms: number }

export interface UnitRunner {
  /** a short description for logs (no secrets: a Redis URL is shown without its password) */
  readonly where: string;
  generate(u: GenerateUnit, signal?: AbortSignal): Promise<GenerateResult & { origin?: UnitOrigin }>;
  judge(u: JudgeUnit, signal?: AbortSignal): Promise<CountedMatrices & { origin?: UnitOrigin }>;
  /** an iteration's generation is done: what was published for it may go */
  generated?(iteration: number, policy: string): Promise<void>;
  close(): Promise<void>;
}

export type UnitRunnerFactory = (cfg: SPPOConfig, env: { store: RunStore; log(msg: string): void }) => Promise<UnitRunner>;

let factory: UnitRunnerFactory | null = null;

/** called by src/queue/ when it is imported (the Node entry point and the CLI import it) */
export function registerUnitRunnerFactory(f: UnitRunnerFactory): void { factory = f; }

export async function makeUnitRunner(cfg: SPPOConfig, env: { store: RunStore; log(msg: string): void }): Promise<UnitRunner> {
  if (!factory) throw new Error('sppo: config "queue" needs the queue module: run through `sppo train` or import the Node entry point ("sppo"), which registers it (browsers cannot reach Redis)');
  return factory(cfg, env);
}
