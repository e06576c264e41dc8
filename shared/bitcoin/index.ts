/**
 * @module shared/bitcoin: Bitcoin primitives for the pool. Public surface, listed by name.
 * Byte-order conventions: see bytes.ts.
 */
export {
  assertBytes,
  assertInt,
  bigIntToBytesLE,
  bytesToBigIntLE,
  bytesToHex,
  bytesToRpcHex,
  concatBytes,
  equalBytes,
  hexToBytes,
  hexToBytesInto,
  readI32LE,
  readU32LE,
  readU64LE,
  reverseBytes,
  rpcHexToBytes,
  stratumPrevhashHex,
  stratumPrevhashToBytes,
  u32FromHex,
  u32ToHex,
  writeU32LE,
  writeU64LE,
} from "./bytes.ts";
export { hash160, sha256, sha256d, sha256dInto } from "./hash.ts";
export { encodeVarInt, readVarInt, varIntSize, writeVarInt } from "./varint.ts";
export {
  bip34HeightPush,
  decodeScriptNum,
  encodeScriptNum,
  opReturnScript,
  p2pkhScript,
  p2shScript,
  pushData,
  pushInt,
  readBip34Height,
  witnessScript,
} from "./script.ts";
export { hasWitness, parseTx, serializeTx, txid, txidFromRaw, wtxid, type Tx, type TxInput, type TxOutput } from "./tx.ts";
export { blockHash, HEADER_BYTES, parseHeader, serializeHeader, writeHeaderInto, type BlockHeader } from "./header.ts";
export { assembleBlock, assembleBlockHex, parseBlock, serializeBlock, type Block } from "./block.ts";
export {
  coinbaseMerkleRootInto,
  findWitnessCommitment,
  foldMerkleBranch,
  foldMerkleBranchInto,
  isWitnessCommitmentScript,
  merkleBranch,
  merkleRoot,
  WITNESS_COMMITMENT_HEADER,
  WITNESS_RESERVED_VALUE,
  witnessCommitment,
  witnessCommitmentScript,
  witnessMerkleRoot,
} from "./merkle.ts";
export {
  bitsToDifficulty,
  bitsToTarget,
  compareLE256,
  difficultyToTarget,
  hashBelowTarget,
  hashMeetsTarget,
  hashToBigInt,
  targetToBits,
  targetToDifficulty,
  targetToLE32,
} from "./target.ts";
export { base58CheckDecode, base58CheckEncode, base58Decode, base58Encode } from "./base58.ts";
export {
  bech32Decode,
  bech32Encode,
  convertBits,
  decodeSegwitAddress,
  encodeSegwitAddress,
  type Bech32Decoded,
  type Bech32Variant,
  type SegwitDecoded,
} from "./bech32.ts";
export { NETWORKS, resolveNetwork, type Network, type NetworkName, type NetworkSpec } from "./networks.ts";
export {
  addressToScript,
  decodeAddress,
  parseAddress,
  scriptToAddress,
  type AddressResult,
  type AddressType,
  type DecodedAddress,
  type ParseAddressOptions,
} from "./address.ts";
export {
  allocCoinbase,
  buildCoinbase,
  isSegwitActive,
  joinCoinbase,
  MAX_COINBASE_SCRIPTSIG,
  mergedMiningPush,
  MIN_COINBASE_SCRIPTSIG,
  withCoinbaseWitness,
  type CoinbaseOutput,
  type CoinbaseSpec,
  type CoinbaseTemplate,
} from "./coinbase.ts";
