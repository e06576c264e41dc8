/** @module A bcoin regtest child process for tests: the demo's launcher (scripts/demo/bcoin.ts), shared so there is one. */
export { BCOIN_REGTEST_ADDRESS, startBcoin, type BcoinNode } from "../../scripts/demo/bcoin.ts";
