// The daemon's Prometheus metrics (prom-client): the status record's counters and gauges, the
// per-session queue depths and the delivery latency histogram. The daemon counts in plain
// integers as it works; this module reads them only when scraped, so the hot path pays nothing
// for it except the sampled latency probe.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { GROUP_STATES, MEMBERSHIP_STATES, type StatusRecord } from '../monitor/status.ts';
import { DeliveryLatency } from './latency.ts';

/** What the metrics read from the daemon at scrape time. */
export interface MetricsSource {
  status(): StatusRecord;
  /** Messages waiting in each open session's outbound queue, by private group name. */
  sessionQueues(): Iterable<readonly [string, number]>;
  /** Client messages waiting for the token. */
  downQueueLength(): number;
}

export interface DaemonMetricsOptions {
  /** Seconds (default performance.now() / 1000). */
  readonly now?: () => number;
  /** Latency sampling: time one message in this many (default 16). */
  readonly sampleEvery?: number;
  /** Node's process metrics (CPU, memory, event loop lag) too; default true. */
  readonly processMetrics?: boolean;
}

type NumericField = { [K in keyof StatusRecord]: StatusRecord[K] extends number ? K : never }[keyof StatusRecord];

/** Status fields that only grow while the daemon runs: Prometheus counters. */
const COUNTERS: ReadonlyArray<readonly [NumericField, string, string]> = [
  ['tokenHurry', 'spread_token_hurry_total', 'Hurry re-sends of the token (leader) and hurried tokens seen (others)'],
  ['membershipChanges', 'spread_membership_changes_total', 'Regular configurations installed'],
  ['packetsSent', 'spread_packets_sent_total', 'New data packets this daemon sent'],
  ['packetsReceived', 'spread_packets_received_total', 'Data packets received'],
  ['retrans', 'spread_retransmissions_total', 'Packets retransmitted in answer to requests'],
  ['messagesDelivered', 'spread_messages_delivered_total', 'Client messages delivered to local sessions (one per receiving session)'],
  ['packetsDelivered', 'spread_packets_delivered_total', 'Messages the ring delivered up'],
  ['droppedDatagrams', 'spread_dropped_datagrams_total', 'Datagrams and control packets dropped or refused'],
];

/** Status fields that go up and down: Prometheus gauges. */
const GAUGES: ReadonlyArray<readonly [NumericField, string, string]> = [
  ['uptimeSec', 'spread_uptime_seconds', 'Seconds since the daemon started'],
  ['numProcs', 'spread_ring_members', 'Daemons in the current ring'],
  ['numSegments', 'spread_ring_segments', 'Segments the current ring spans'],
  ['tokenRounds', 'spread_token_rounds', 'Tokens this daemon sent in the current ring'],
  ['myAru', 'spread_my_aru', 'Highest seq up to which this daemon holds every packet'],
  ['aru', 'spread_aru', 'The ring-wide aru (stable up to here)'],
  ['highestSeq', 'spread_highest_seq', 'Highest seq seen on the current ring'],
  ['sessions', 'spread_sessions', 'Open client sessions at this daemon'],
  ['groups', 'spread_groups', 'Groups in the group table'],
  ['window', 'spread_window_packets', 'Flow control: packets the ring may send per token rotation'],
  ['personalWindow', 'spread_personal_window_packets', 'Flow control: packets this daemon may send per token visit'],
  ['acceleratedWindow', 'spread_accelerated_window_packets', 'Flow control: packets sent after passing the token'],
];

/** Latency buckets in seconds: loopback rings deliver in tens of microseconds to milliseconds. */
const LATENCY_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export class DaemonMetrics {
  readonly registry = new Registry();
  /** Hand this to the session layer: it times sampled messages from receipt to delivery. */
  readonly latency: DeliveryLatency;
  private readonly counters: Array<readonly [NumericField, Counter]> = [];
  private readonly gauges: Array<readonly [NumericField, Gauge]> = [];
  private readonly retransByTarget: Counter<'target'>;
  private readonly membershipState: Gauge<'state'>;
  private readonly groupState: Gauge<'gstate'>;
  private readonly info: Gauge<'daemon' | 'version' | 'leader'>;
  private readonly sessionQueue: Gauge<'session'>;
  private readonly downQueue: Gauge;

  constructor(
    private readonly source: MetricsSource,
    opts: DaemonMetricsOptions = {},
  ) {
    const registers = [this.registry];
    for (const [field, name, help] of COUNTERS) this.counters.push([field, new Counter({ name, help, registers })]);
    for (const [field, name, help] of GAUGES) this.gauges.push([field, new Gauge({ name, help, registers })]);
    this.retransByTarget = new Counter({
      name: 'spread_retransmissions_by_target_total',
      help: 'Retransmissions by how they were sent: unicast, to a segment, broadcast',
      labelNames: ['target'],
      registers,
    });
    this.membershipState = new Gauge({ name: 'spread_membership_state', help: 'Membership state (1 for the current one)', labelNames: ['state'], registers });
    this.groupState = new Gauge({ name: 'spread_group_state', help: 'Group layer state (1 for the current one)', labelNames: ['gstate'], registers });
    this.info = new Gauge({ name: 'spread_daemon_info', help: 'This daemon, its version and the leader of its ring', labelNames: ['daemon', 'version', 'leader'], registers });
    this.sessionQueue = new Gauge({
      name: 'spread_session_queue_messages',
      help: 'Messages waiting in a session\'s outbound queue (the socket could not take them yet)',
      labelNames: ['session'],
      registers,
    });
    this.downQueue = new Gauge({ name: 'spread_down_queue_messages', help: 'Client messages waiting for the token', registers });
    const every = opts.sampleEvery ?? 16;
    const latency = new Histogram({
      name: 'spread_delivery_latency_seconds',
      help: `From reading a client's message to delivering it to the local sessions, at the sender's daemon; one message in ${every} sampled`,
      buckets: LATENCY_BUCKETS,
      registers,
    });
    const now = opts.now ?? (() => performance.now() / 1000);
    this.latency = new DeliveryLatency({ now, observe: (s) => latency.observe(s), sampleEvery: every });
    if (opts.processMetrics ?? true) collectDefaultMetrics({ register: this.registry, prefix: 'spread_process_' });
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The Prometheus text exposition, read from the daemon now. */
  async scrape(): Promise<string> {
    this.refresh();
    return this.registry.metrics();
  }

  private refresh(): void {
    const r = this.source.status();
    for (const [field, c] of this.counters) setCounter(c, r[field]);
    for (const [field, g] of this.gauges) g.set(r[field]);
    this.retransByTarget.reset();
    this.retransByTarget.inc({ target: 'unicast' }, r.uRetrans);
    this.retransByTarget.inc({ target: 'segment' }, r.sRetrans);
    this.retransByTarget.inc({ target: 'broadcast' }, r.bRetrans);
    for (const s of MEMBERSHIP_STATES) this.membershipState.set({ state: s }, s === r.state ? 1 : 0);
    for (const s of GROUP_STATES) this.groupState.set({ gstate: s }, s === r.gstate ? 1 : 0);
    this.info.reset();
    this.info.set({ daemon: r.daemon, version: r.version, leader: r.leader }, 1);
    this.sessionQueue.reset();
    for (const [session, depth] of this.source.sessionQueues()) this.sessionQueue.set({ session }, depth);
    this.downQueue.set(this.source.downQueueLength());
  }
}

/** A counter read from the daemon's own integer: the registry holds the last value read. */
function setCounter(c: Counter, value: number): void {
  c.reset();
  c.inc(value);
}
