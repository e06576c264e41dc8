/**
 * Preloaded before every test file (bunfig.toml): suites that start redis-server, bcoin or worker
 * pools need more than bun's 5 s default per test, and bunfig has no timeout setting.
 */
import { setDefaultTimeout } from "bun:test";

setDefaultTimeout(60_000);
