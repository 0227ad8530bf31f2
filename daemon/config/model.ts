// The parsed spread.conf: an immutable value, swapped whole on a reload.

/** DebugFlags categories of the guide's Table 2.1. */
export const DEBUG_CATEGORIES = [
  'EXIT',
  'PRINT',
  'DEBUG',
  'DATA_LINK',
  'NETWORK',
  'PROTOCOL',
  'SESSION',
  'CONFIGURATION',
  'MEMBERSHIP',
  'FLOW_CONTROL',
  'STATUS',
  'EVENTS',
  'GROUPS',
  'MEMORY',
  'SKIPLIST',
  'ACM',
  'SECURITY',
] as const;
export type DebugCategory = (typeof DEBUG_CATEGORIES)[number];

export type EventPriority = 'pDEBUG' | 'INFO' | 'WARNING' | 'ERROR' | 'CRITICAL' | 'FATAL';

export interface InterfaceSpec {
  readonly address: string;
  /** Any of 'D' (daemon), 'C' (client), 'M' (monitor); all three when untagged. */
  readonly roles: ReadonlySet<'D' | 'C' | 'M'>;
}

export interface DaemonSpec {
  /** At most 19 characters; the suffix of its clients' private group names. */
  readonly name: string;
  readonly address: string;
  /** The port of its segment (UDP data P, token P+1, client TCP P). */
  readonly port: number;
  /** Unsigned 32-bit id: VirtualID, or a hash of the name. */
  readonly id: number;
  readonly segmentIndex: number;
  readonly indexInSegment: number;
  /** Position in configuration order across all segments; decides ring order and sorting. */
  readonly order: number;
  /** Empty when the file gives no interface list: then the daemon binds on all interfaces. */
  readonly interfaces: ReadonlyArray<InterfaceSpec>;
  /** 1-based line of its entry in the file, for messages. */
  readonly line: number;
}

export interface SegmentSpec {
  readonly addresses: ReadonlyArray<string>;
  readonly port: number;
  readonly daemons: ReadonlyArray<DaemonSpec>;
}

export interface MembershipTimeouts {
  readonly tokenMs: number;
  readonly hurryMs: number;
  readonly aliveMs: number;
  readonly joinMs: number;
  readonly repMs: number;
  readonly segMs: number;
  readonly gatherMs: number;
  readonly formMs: number;
  readonly lookupMs: number;
}

/** The opt-in TLS client listener (TlsPort and friends): the same session protocol inside TLS. */
export interface TlsListenerSpec {
  readonly port: number;
  /** PEM files, read when the daemon starts. */
  readonly certificateFile: string;
  readonly keyFile: string;
  /** CA bundle client certificates must chain to; undefined: no client certificate is asked for. */
  readonly caFile: string | undefined;
  readonly requireClientCertificate: boolean;
}

/** The key daemons sign their datagrams with: DaemonKey's text, or DaemonKeyFile read at start. */
export type DaemonKeySpec = { readonly text: string } | { readonly file: string };

/** Bytes of the HMAC-SHA256 tag (truncated) appended to every daemon datagram when a key is set. */
export const DAEMON_KEY_TAG_BYTES = 16;

export interface SpreadConfig {
  /** The file it came from (or '<text>'). */
  readonly source: string;
  readonly segments: ReadonlyArray<SegmentSpec>;
  /** All daemons in configuration order. */
  readonly daemons: ReadonlyArray<DaemonSpec>;
  readonly debugFlags: ReadonlySet<DebugCategory>;
  readonly eventPriority: EventPriority;
  /** Log destination with %h/%H already replaced; undefined = stdout. */
  readonly eventLogFile: string | undefined;
  /** strftime-style format of the time stamp prefix, or undefined when off. */
  readonly eventTimeStamp: string | undefined;
  readonly eventPreciseTimeStamp: boolean;
  readonly dangerousMonitor: boolean;
  readonly socketPortReuse: 'AUTO' | 'ON' | 'OFF';
  readonly runtimeDir: string;
  readonly daemonUser: string;
  readonly daemonGroup: string;
  readonly requiredAuthMethods: ReadonlyArray<string>;
  readonly allowedAuthMethods: ReadonlyArray<string>;
  /** PERMIT, or IP: only clients whose address is on the access list. */
  readonly accessControlPolicy: string;
  /** AccessIpFile: the allow-list of the IP method and policy (undefined: ./spread.access_ip, else /etc/). */
  readonly accessIpFile?: string;
  /** The TLS client listener, when TlsPort is set. */
  readonly tls?: TlsListenerSpec;
  /** DaemonKey or DaemonKeyFile: daemon datagrams are signed and checked (ring driver). */
  readonly daemonKey?: DaemonKeySpec;
  readonly maxSessionMessages: number;
  readonly window: number;
  readonly personalWindow: number;
  readonly acceleratedRing: boolean;
  readonly acceleratedWindow: number;
  /**
   * Largest ring datagram in bytes (PacketSize, `auto` resolved: see LOOPBACK_DATAGRAM_BYTES),
   * less DAEMON_KEY_TAG_BYTES when a daemon key is set, so the signed datagram still fits.
   */
  readonly packetSize: number;
  /**
   * While the membership algorithm runs, client connections and client traffic wait and daemon
   * traffic goes first (the event priorities of guide 5.1). Default true.
   */
  readonly eventPriorities: boolean;
  readonly wideAreaNetwork: boolean;
  readonly timeouts: MembershipTimeouts;
  readonly excludeSegAddrsFromHash: boolean;
  /** 32-bit hash of the canonical text of segments, daemons and ring protocol (design 2.4). */
  readonly configHash: number;
  /** Warnings for options accepted but not (yet) acted upon. */
  readonly warnings: ReadonlyArray<string>;
  /** Family of every address in the file (ActiveIPVersion, else the first address's). Always set by parseConfig. */
  readonly activeIpVersion?: 'IPv4' | 'IPv6';
  /** IgnoreMulticastJoinErrors. Always set by parseConfig. */
  readonly ignoreMulticastJoinErrors?: boolean;
}
