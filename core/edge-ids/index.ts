export { EdgeIdAllocator, edgeIdSpace, DEFAULT_EDGE_ID_TTL_MS, DEFAULT_EDGE_ID_INTERVAL_MS, DEFAULT_MAX_WORKERS, type EdgeIdAllocatorOptions, type EdgeIdPass } from "./allocator.ts";
export { edgeIdOfExtranonce1 } from "./prefix.ts";
