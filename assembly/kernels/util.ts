// Module facts the host needs: where static data ends (tensors are allocated above it).
export function heapBase(): usize { return __heap_base; }
