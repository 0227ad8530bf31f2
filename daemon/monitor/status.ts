// The status record a daemon sends the monitor (design 9.2, the guide's Figure 2.9), and the
// monitor's print-out of it. Pure: the daemon shell fills the record from its layers.

export const MEMBERSHIP_STATES = ['OP', 'SEG', 'REPRESENTED', 'GATHER', 'FORM', 'EVS'] as const;
export const GROUP_STATES = ['GOP', 'GTRANS', 'GGATHER', 'GGT'] as const;

export interface StatusRecord {
  readonly daemon: string;
  readonly version: string;
  /** Membership state name (OP, SEG, REPRESENTED, GATHER, FORM, EVS). */
  readonly state: string;
  /** Group layer state name (GOP, GTRANS, GGATHER, GGT). */
  readonly gstate: string;
  readonly uptimeSec: number;
  readonly numProcs: number;
  readonly numSegments: number;
  readonly leader: string;
  readonly acceleratedRing: boolean;
  readonly tokenRounds: number;
  readonly tokenHurry: number;
  readonly membershipChanges: number;
  readonly packetsSent: number;
  readonly packetsReceived: number;
  readonly retrans: number;
  readonly uRetrans: number;
  readonly sRetrans: number;
  readonly bRetrans: number;
  readonly myAru: number;
  readonly aru: number;
  readonly highestSeq: number;
  readonly sessions: number;
  readonly groups: number;
  readonly window: number;
  readonly personalWindow: number;
  readonly acceleratedWindow: number;
  readonly messagesDelivered: number;
  readonly packetsDelivered: number;
  /** Datagrams dropped by the network filters (wrong hash, partition, unknown sender). */
  readonly droppedDatagrams: number;
}

/** The number Spread prints for a state name (1-based), 0 when unknown. */
export const stateNumber = (names: ReadonlyArray<string>, name: string): number => names.indexOf(name) + 1;

export interface StatusDeltas {
  readonly messages: number;
  /** Spread's monitor shows the change of aru here, not of packets delivered. */
  readonly packets: number;
  readonly seconds: number;
}

/** Deltas between two replies of the same daemon (computed by the monitor, as Spread does). */
export function statusDeltas(prev: StatusRecord | undefined, cur: StatusRecord): StatusDeltas {
  if (prev === undefined) return { messages: cur.messagesDelivered, packets: cur.aru, seconds: cur.uptimeSec };
  return {
    messages: cur.messagesDelivered - prev.messagesDelivered,
    packets: cur.aru - prev.aru,
    seconds: cur.uptimeSec - prev.uptimeSec,
  };
}

const col = (label: string, value: number | string): string => `${label.padEnd(9)}: ${String(value).padStart(8)}`;

/** The guide's Figure 2.9 layout. */
export function formatStatus(r: StatusRecord, d: StatusDeltas): string {
  const row = (...cells: string[]): string => cells.join('  ');
  return [
    '============================',
    `Status at ${r.daemon} V${r.version} (state ${stateNumber(MEMBERSHIP_STATES, r.state)}, gstate ${stateNumber(GROUP_STATES, r.gstate)}) after ${r.uptimeSec} seconds :`,
    `Membership  :  ${r.numProcs}  procs in ${r.numSegments} segments, leader is ${r.leader}, ${r.acceleratedRing ? 'accelerated' : 'regular'} protocol`,
    row(col('rounds', r.tokenRounds), col('tok_hurry', r.tokenHurry), col('memb change', r.membershipChanges)),
    row(col('sent pack', r.packetsSent), col('recv pack', r.packetsReceived), col('retrans', r.retrans)),
    row(col('u retrans', r.uRetrans), col('s retrans', r.sRetrans), col('b retrans', r.bRetrans)),
    row(col('My_aru', r.myAru), col('Aru', r.aru), col('Highest seq', r.highestSeq)),
    row(col('Sessions', r.sessions), col('Groups', r.groups), col('Window', r.window)),
    row(col('Deliver M', r.messagesDelivered), col('Deliver Pk', r.packetsDelivered), col('P/A Window', `${r.personalWindow}/${r.acceleratedWindow}`)),
    row(col('Delta Mes', d.messages), col('Delta Pk', d.packets), col('Delta sec', d.seconds)),
    '==================================',
  ].join('\n');
}

/** A status record from a reply's JSON text; undefined when it is not one. */
export function parseStatusRecord(json: string): StatusRecord | undefined {
  try {
    const r = JSON.parse(json) as Partial<StatusRecord> | null;
    if (r === null || typeof r !== 'object' || typeof r.daemon !== 'string' || typeof r.messagesDelivered !== 'number') return undefined;
    return r as StatusRecord;
  } catch {
    return undefined;
  }
}
