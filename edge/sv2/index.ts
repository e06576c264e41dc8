/** @module edge/sv2: Stratum V2 beside stratum v1 (transport, Noise, Mining Protocol). Public surface, by name. */
export { startSv2Listeners, type Sv2ListenOptions } from "./serve.ts";
export { startSv2Port, type Sv2Port } from "./port.ts";
export { loadEdgeKeys, type EdgeKeys } from "./keys.ts";
