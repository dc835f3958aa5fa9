// SPPO for Node and Deno: the coordinator with the Node environment as its default (nodeDeps:
// model directories, a run directory on disk, the backend the config names). The Node and Deno
// entry points export this class as SPPO; the browser entry exports the coordinator's own, which
// is given its environment (memoryDeps). The coordinator imports no environment: this file is
// where the two meet.
import { createBackend } from '../../kernels/index.js';
import { SPPO as CoordinatorSPPO, type DepsFactory, type SPPODeps } from '../coordinator.js';
import type { SPPOConfig } from '../config.js';
import { nodeDeps } from './node-deps.js';

/** the Node environment of a config: the backend it names, then nodeDeps */
export const nodeEnvironment: DepsFactory = async (cfg) => nodeDeps(cfg, await createBackend(cfg.backend));

export class SPPO extends CoordinatorSPPO {
  /** without `deps`, run() sets up nodeEnvironment */
  constructor(cfg: Partial<SPPOConfig> | SPPOConfig, deps?: SPPODeps | DepsFactory) { super(cfg, deps ?? nodeEnvironment); }
}
