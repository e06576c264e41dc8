/** @module edge/listener: TCP, framing, caps, write queues, bans. Public surface, by name. */
export { startListener, type ListenerLimits, type ListenerOptions, type StratumListener } from "./listener.ts";
export { Connection, type ListenerCounters } from "./connection.ts";
export { IpGuard, normalizeIp, OFFENCE_KINDS, type BanEntry, type OffenceKind } from "./ip-guard.ts";
export { TrustedProxies, parseProxyHeader, canonicalIp, type ProxyParse } from "./proxy-protocol.ts";
export { PortCertificate, loadCertificate, TlsLayer, type LoadedCertificate } from "./tls.ts";
export { TLS_REQUIRED_REPLY, type TlsMode } from "./preamble.ts";
