/**
 * @module Where the native pieces live, resolved from this file so the working directory
 * does not matter: the built library, our C sources and the multi-hashing C sources.
 */
import { suffix } from "bun:ffi";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** The library native/build.sh produces. POWHASH_LIBRARY overrides it. */
export const DEFAULT_LIBRARY_PATH = `${ROOT}native/build/libpowhash.${suffix}`;
export const NATIVE_SRC_DIR = `${ROOT}native/src`;
export const MULTI_HASHING_SRC_DIR = `${ROOT}node_modules/multi-hashing/src`;
