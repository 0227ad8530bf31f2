// The one typed state object shared by the ordering module and the membership module
// (design 1.2, 1.3, 3.2, 5). Fields carry the protocol's own names.
import type { DataPacket, RepInfo, RingId, Token } from '../wire/types.ts';
import { NO_DAEMON } from '../wire/constants.ts';
import { DownQueue } from './down-queue.ts';
import type { RingParams } from './params.ts';
import type { DeliveryThreshold, MembershipState, RingAction, RingCounters } from './types.ts';

/** received: stored, not delivered; delivered: handed up, kept until stable; hole: recovery placeholder (6). */
export type PacketState = 'received' | 'delivered' | 'hole';

/** A packet in the store, or a hole marker: a seq nobody present holds (recovery, design 6). */
export type StoredPacket = HeldPacket | { readonly packet: undefined; readonly state: 'hole' };

/** A packet this daemon holds. */
export interface HeldPacket {
  readonly packet: DataPacket;
  state: 'received' | 'delivered';
}

const HOLE: StoredPacket = { packet: undefined, state: 'hole' };

/** The one hole marker (holes carry nothing). */
export function holeMarker(): StoredPacket {
  return HOLE;
}

/** A commit list: its first `trans` members are the transitional set (design 6.5). */
export interface CommitSet {
  readonly members: ReadonlyArray<number>;
  readonly trans: number;
}

/** Membership's own part of the state (design 1.3, 5; Spread's names in brackets). */
export interface MembershipData {
  /** Daemons gathered: in SEG those alive without a ring, in GATHER my members [F_members]. */
  fMembers: number[];
  /** Representatives gathered; the first is me [F_reps]. */
  fReps: RepInfo[];
  /** Whom to send JOINs to [Potential_reps]. */
  potentialReps: RepInfo[];
  /** REPRESENTED: my segment's representative, or -1 [My_seg_rep]. */
  mySegRep: number;
  /** A segment leader forwards one foreign packet per ring to its leader [Foreign_found]. */
  foreignFound: boolean;
  /** [Commit_set] */
  commitSet: CommitSet;
  /** What I commit to when recovery completes [Future_commit_set]. */
  futureCommitSet: CommitSet;
  /** The ring being installed, from FORM2 to install [Future_membership]. */
  future: RingView | undefined;
  /** The FORM1 I created or filled; a FORM2 must carry it [Form1_memb_id]. */
  formId: RingId;
  /** Strictly increasing time for ring, form and transitional ids [Last_time_used]. */
  lastTimeUsed: number;
  /** Transitional time of my old ring, from FORM2 [F_trans_memb_time]. */
  transTime: number;
  /** Members of the last regular configuration, for lookups [Reg_membership]. */
  regularMembers: ReadonlyArray<number>;
  /** Committed in the current recovery attempt (for status and tests). */
  committed: boolean;
  /** The last transitional configuration delivered. */
  transitionalId: RingId | undefined;
}

/** The configuration deliveries are handed up in: regular, or transitional during phase B3. */
export interface DeliveryConfig {
  id: RingId;
  transitional: boolean;
}

/** A ring's members and this daemon's neighbours in it (ring order = configuration order). */
export interface RingView {
  readonly ringId: RingId;
  readonly members: ReadonlyArray<number>;
  readonly leader: number;
  /** Sends me the token. */
  readonly predecessor: number;
  /** I send the token to it. */
  readonly successor: number;
  readonly isLeader: boolean;
  readonly isLast: boolean;
}

/** Partly reassembled multi-packet message of one originator (Spread's up queue). */
export interface Reassembly {
  readonly parts: Uint8Array[];
  bytes: number;
  readonly firstSeq: number;
}

/** Actions that never change for one core: allocated once, pushed many times. */
export interface FixedActions {
  readonly setTokenLoss: RingAction;
  readonly setHurry: RingAction;
  readonly cancelHurry: RingAction;
  readonly tokenFirst: RingAction;
  readonly dataFirst: RingAction;
}

export interface RingState {
  /** Replaced whole by RingCore.setFlowControl (monitor flow control, design 4); read per visit. */
  params: RingParams;
  /** Rebuilt with the params on a live reconfiguration (timeouts may change). */
  fixed: FixedActions;

  // Membership-owned.
  memberState: MembershipState;
  readonly memb: MembershipData;
  /** The ring last installed: its id is the "current ring id" of data packets (3.3). */
  ring: RingView;
  /** The ring whose token is processed: `ring`, or the ring being installed during EVS. */
  active: RingView;
  /** A regular token of my ring is circulating; otherwise tokens are swallowed (veto). */
  tokenAlive: boolean;
  /** Set at install; the first accepted token then clears lastToken.aru (6.4). */
  justInstalled: boolean;
  /** During recovery: the "recovery complete" marker (6.3). */
  lastSeq: number;

  // Ordering (3.2).
  highestSeq: number;
  myAru: number;
  /** Stable mark: every member holds every packet <= aru. Never decreases within a ring. */
  aru: number;
  lastDiscarded: number;
  lastDelivered: number;
  /** The token exactly as last sent (hurry re-sends it). */
  lastToken: Token;
  tokenRounds: number;
  receivedTokenRounds: number;
  /** Consecutive token visits with nothing unstable (Spread's Token_counter). */
  idleCounter: number;
  lastNumSent: number;
  lastNumRetrans: number;
  /** Leader only: the token is held on an idle ring. */
  tokenHeld: boolean;
  /** Accelerated Ring: the token channel is served before the data channel. */
  tokenFirst: boolean;
  readonly store: Map<number, StoredPacket>;
  /** Client messages. */
  readonly downQueue: DownQueue;
  /** The group layer's state-exchange messages (design 7.6). */
  readonly groupsQueue: DownQueue;
  /** The token drains the GROUPS queue instead of the normal one. */
  usingGroupsQueue: boolean;
  deliveryConfig: DeliveryConfig;
  readonly upQueues: Map<number, Reassembly>;
  /** Accelerated Ring: packets to broadcast right after the token (3.12). */
  postTokenQueue: Uint8Array[];
  deliveryThreshold: DeliveryThreshold;
  readonly counters: RingCounters;
}

export function newCounters(): RingCounters {
  return {
    packetsSent: 0,
    packetsReceived: 0,
    duplicatePackets: 0,
    retransmissions: 0,
    retransmissionRequests: 0,
    tokensAccepted: 0,
    tokensRejected: 0,
    tokenHurries: 0,
    tokenHolds: 0,
    heldVisitsResumed: 0,
    hurryPacketsSent: 0,
    messagesDelivered: 0,
    delivered: { RELIABLE: 0, FIFO: 0, AGREED: 0, SAFE: 0 },
    droppedDatagrams: 0,
    anomalies: 0,
    membershipChanges: 0,
    tokenLosses: 0,
    formTokensCreated: 0,
    evsValve: 0,
    recoveryHoles: 0,
    recoveryDiscarded: 0,
    recoveryByCommitSet: 0,
  };
}

/** lastToken of a freshly installed ring: ARQ 0, seq 0, aru 0 (5.6 step 9). */
export function resetToken(params: RingParams, ringId: RingId): Token {
  return {
    configHash: params.configHash,
    transmitter: params.selfId,
    procId: params.selfId,
    ringId,
    arq: 0,
    retrans: 0,
    seq: 0,
    aru: 0,
    aruSetter: NO_DAEMON,
    flowControl: 0,
    rtr: [],
  };
}

/** Computes ring order, leader and neighbours; members must be in configuration order. */
export function ringView(params: RingParams, ringId: RingId, members: ReadonlyArray<number>): RingView {
  const me = members.indexOf(params.selfId);
  if (me < 0) throw new RangeError(`daemon ${params.selfId} is not a member of ring ${ringId.procId}:${ringId.time}`);
  const n = members.length;
  return {
    ringId,
    members,
    leader: members[0]!,
    predecessor: members[(me + n - 1) % n]!,
    successor: members[(me + 1) % n]!,
    isLeader: me === 0,
    isLast: me === n - 1,
  };
}

export function fixedActions(params: RingParams): FixedActions {
  return {
    setTokenLoss: { type: 'setTimer', name: 'TOKEN_LOSS', ms: params.tokenTimeoutMs },
    setHurry: { type: 'setTimer', name: 'HURRY', ms: params.hurryTimeoutMs },
    cancelHurry: { type: 'cancelTimer', name: 'HURRY' },
    tokenFirst: { type: 'tokenPriority', tokenFirst: true },
    dataFirst: { type: 'tokenPriority', tokenFirst: false },
  };
}

/**
 * State of a daemon before any ring is installed: member set {me}, ring id {me, 0} (Spread's
 * {me, -1}: time 0 is below every time a daemon writes), no token alive, nothing delivered.
 */
export function createRingState(params: RingParams): RingState {
  const ringId: RingId = { procId: params.selfId, time: 0 };
  const alone = ringView(params, ringId, [params.selfId]);
  return {
    params,
    fixed: fixedActions(params),
    memberState: 'OP',
    memb: {
      fMembers: [params.selfId],
      fReps: [],
      potentialReps: [],
      mySegRep: -1,
      foreignFound: false,
      commitSet: { members: [params.selfId], trans: 1 },
      futureCommitSet: { members: [params.selfId], trans: 1 },
      future: undefined,
      formId: { procId: 0, time: 0 },
      lastTimeUsed: 0,
      transTime: 0,
      regularMembers: [params.selfId],
      committed: false,
      transitionalId: undefined,
    },
    ring: alone,
    active: alone,
    tokenAlive: false,
    justInstalled: false,
    lastSeq: 0,
    highestSeq: 0,
    myAru: 0,
    aru: 0,
    lastDiscarded: 0,
    lastDelivered: 0,
    lastToken: resetToken(params, ringId),
    tokenRounds: 0,
    receivedTokenRounds: 0,
    idleCounter: 0,
    lastNumSent: 0,
    lastNumRetrans: 0,
    tokenHeld: false,
    tokenFirst: false,
    store: new Map(),
    downQueue: new DownQueue(params.packetBodyBytes),
    groupsQueue: new DownQueue(params.packetBodyBytes),
    usingGroupsQueue: false,
    deliveryConfig: { id: ringId, transitional: false },
    upQueues: new Map(),
    postTokenQueue: [],
    deliveryThreshold: 'BLOCK',
    counters: newCounters(),
  };
}

/** True when this daemon holds packet `seq` (stored, or already stable and freed); a hole is not held. */
export function holds(s: RingState, seq: number): boolean {
  if (seq <= s.lastDiscarded) return true;
  const e = s.store.get(seq);
  return e !== undefined && e.state !== 'hole';
}

/** The queue the token drains now. */
export function sendQueue(s: RingState): DownQueue {
  return s.usingGroupsQueue ? s.groupsQueue : s.downQueue;
}

/** Ring order: configuration order (design 5.1). */
export function sortByOrder(params: RingParams, ids: Iterable<number>): number[] {
  return [...ids].sort((a, b) => params.orderOf.get(a)! - params.orderOf.get(b)!);
}

/** Advances myAru over consecutive stored packets (holes count as present). */
export function advanceMyAru(s: RingState): void {
  while (s.myAru < s.highestSeq && s.store.has(s.myAru + 1)) s.myAru++;
}

/** Records a protocol anomaly: counted, traced, and fatal in the simulator. */
export function anomaly(s: RingState, out: RingAction[], reason: string): void {
  s.counters.anomalies++;
  out.push({ type: 'trace', record: { kind: 'anomaly', reason } });
}

/** Counts a dropped datagram; traced only in verbose mode. */
export function dropped(s: RingState, out: RingAction[], reason: string): void {
  s.counters.droppedDatagrams++;
  if (s.params.trace) out.push({ type: 'trace', record: { kind: 'dropped', reason } });
}

/**
 * Invariants of the ordering state between steps (TigerBeetle style: run after every simulated
 * step). `full` also scans the store. Returns the first violation, or undefined.
 */
export function checkInvariants(s: RingState, full: boolean): string | undefined {
  // During recovery myAru jumps to lastSeq when this daemon holds all its old ring can give
  // (6.3), the stable aru restarts from 0 (5.6 step 9), and holes stop the first recount.
  const recovering = s.memberState === 'EVS' || s.memberState === 'FORM';
  const committed = s.memberState === 'EVS' && s.myAru === s.lastSeq;
  if (s.myAru > s.highestSeq && !committed) return `myAru ${s.myAru} > highestSeq ${s.highestSeq}`;
  if (s.aru > s.myAru) return `aru ${s.aru} > myAru ${s.myAru}`;
  if (s.lastDiscarded > s.aru && s.memberState !== 'EVS') return `lastDiscarded ${s.lastDiscarded} > aru ${s.aru}`;
  if (s.lastDelivered < s.lastDiscarded) return `lastDelivered ${s.lastDelivered} < lastDiscarded ${s.lastDiscarded}`;
  if (s.lastDelivered > s.myAru) return `lastDelivered ${s.lastDelivered} > myAru ${s.myAru}`;
  if (s.store.size > s.highestSeq - s.lastDiscarded) {
    return `${s.store.size} packets stored for seqs ${s.lastDiscarded + 1}..${s.highestSeq}`;
  }
  const next = s.store.get(s.myAru + 1);
  if (s.myAru < s.highestSeq && next !== undefined && !(recovering && next.state === 'hole')) return `myAru ${s.myAru} not advanced`;
  if (!full) return undefined;
  const top = Math.min(s.myAru, s.highestSeq);
  for (let seq = s.lastDiscarded + 1; seq <= top; seq++) {
    if (!s.store.has(seq)) return `packet ${seq} <= myAru ${s.myAru} missing`;
  }
  for (const [seq, e] of s.store) {
    if (seq <= s.lastDiscarded || seq > s.highestSeq) return `packet ${seq} outside ${s.lastDiscarded}..${s.highestSeq}`;
    if (e.state === 'hole') {
      if (!recovering) return `hole at ${seq} outside recovery`;
      continue;
    }
    if (e.packet.seq !== seq) return `packet stored at ${seq} has seq ${e.packet.seq}`;
    if (seq <= s.lastDelivered && e.state === 'received') return `packet ${seq} <= lastDelivered not delivered`;
  }
  return undefined;
}
