/** @module A private `redis-server` for tests: the demo's launcher (scripts/demo/redis-server.ts), shared so there is one. */
export { freePort, pingRedis, startRedis, type PrivateRedis, type StartRedisOptions } from "../../scripts/demo/redis-server.ts";
