/** @module edge/stratum: the stratum protocol per port. Public surface, by name. */
export { StratumPort, type StratumPortOptions } from "./port.ts";
export { realClock, type Clock, type PortCounters } from "./context.ts";
export { StratumError, STRATUM_ERROR_TEXT, type StratumErrorCode } from "./errors.ts";
export { parseUsername, addressValidator, type Credit, type UsernameRules } from "./username.ts";
export { parsePassword, type PasswordOptions } from "./password.ts";
