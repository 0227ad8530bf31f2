// The session layer (design section 8, spec sections 2, 4, 5 and 7): handshakes, client
// messages going down to the orderer, ordered messages coming up to the group layer and out to
// clients, per-session queues, back-pressure and kills. It holds no socket of its own: the
// node shell hands it streams and bytes.
import {
  AGREED_MESS,
  AUTH_CHOICE_BYTES,
  CAUSAL_MESS,
  CAUSED_BY_JOIN,
  CAUSED_BY_LEAVE,
  DEFAULT_MAX_SESSION_MESSAGES,
  FIFO_MESS,
  FrameReader,
  GROUPS_MESS,
  HEADER_BYTES,
  JOIN_MESS,
  KILL_MESS,
  LEAVE_MESS,
  LITTLE_ENDIAN_MARKER,
  MAX_DAEMON_MESSAGE_PAYLOAD,
  MAX_GROUPS_PER_MESSAGE,
  MAX_SESSIONS,
  RELIABLE_MESS,
  REGULAR_MESS,
  REJECT_AUTH,
  REJECT_NOT_UNIQUE,
  REJECT_QUOTA,
  SAFE_MESS,
  SELF_DISCARD,
  UNRELIABLE_MESS,
  encodeAcceptReply,
  encodeAuthList,
  encodeCommand,
  encodeRejectByte,
  encodeRejectMessage,
  isLegalGroupName,
  normalizeHeaderInPlace,
  parseAuthChoice,
  parseConnectRequest,
  privateGroupName,
  readName,
  versionNumber,
  type MessageHeader,
  type Version,
} from '../../client/wire/index.ts';
import { decideAuth, PERMIT_ALL, type AccessPolicy } from '../auth/decide.ts';
import type { GroupActions, GroupNotice, GroupTable, RingId } from '../groups/group-table.ts';
import { decodeGroupsMessage, encodeGroupsMessage } from '../groups/groups-message.ts';
import type { DaemonLog } from '../logging.ts';
import type { DeliveryLatencyProbe } from '../metrics/latency.ts';
import type { Orderer, PacketClass } from '../orderer.ts';
import { Session, type ClientStream } from './session.ts';
import { validateClientHeader } from './validate.ts';

/** Down-queue length at which the daemon stops reading clients (design 8.4). */
export const WATER_MARK = 500;
/** Bytes a socket may hold unsent before further messages wait in the session's own queue. */
const SOCKET_SOFT_LIMIT_BYTES = 256 * 1024;

export interface SessionLayerOptions {
  readonly daemonName: string;
  readonly daemonVersion: Version;
  readonly maxSessionMessages?: number;
  readonly maxSessions?: number;
  readonly handshakeTimeoutMs?: number;
  /** Authentication methods and access control (default: NULL offered, PERMIT). */
  readonly access?: AccessPolicy;
  readonly orderer: Orderer;
  readonly groups: GroupTable<Session>;
  readonly log: DaemonLog;
  /** Injected randomness for daemon-chosen private names. */
  readonly random: () => number;
  readonly now: () => number;
  /** Times sampled messages from receipt to delivery (the metrics endpoint); none by default. */
  readonly deliveryLatency?: DeliveryLatencyProbe;
}

export interface SessionCounters {
  sessionsAccepted: number;
  sessionsRejected: number;
  sessionsKilled: number;
  slowReadersKilled: number;
  messagesReceived: number;
  messagesDelivered: number;
  bytesDelivered: number;
  rejectsSent: number;
}

/** Maps a client service to the ring's packet class (design 3.8). */
export function packetClassOf(type: number): PacketClass {
  switch (type & REGULAR_MESS) {
    case UNRELIABLE_MESS:
    case RELIABLE_MESS:
      return 'RELIABLE';
    case FIFO_MESS:
      return 'FIFO';
    case CAUSAL_MESS:
    case AGREED_MESS:
      return 'AGREED';
    case SAFE_MESS:
      return 'SAFE';
    default:
      return 'AGREED'; // JOIN, LEAVE and client KILL
  }
}

export class SessionLayer {
  private readonly sessions = new Set<Session>();
  /** Open and killed-but-not-freed sessions by private group name. */
  private readonly byPrivateGroup = new Map<string, Session>();
  private nextId = 1;
  private deliveryStamp = 0;
  private readPaused = false;
  private exchangeRunning = false;
  /** The membership algorithm runs: client events wait, daemon traffic goes first (guide 5.1). */
  private membershipRunning = false;
  private resumeTimer: ReturnType<typeof setInterval> | undefined;
  private readonly toUncork: Session[] = [];
  private uncorkScheduled = false;
  private readonly maxSessionMessages: number;
  private readonly maxSessions: number;
  private readonly handshakeTimeoutMs: number;
  private access: AccessPolicy;
  readonly counters: SessionCounters = {
    sessionsAccepted: 0,
    sessionsRejected: 0,
    sessionsKilled: 0,
    slowReadersKilled: 0,
    messagesReceived: 0,
    messagesDelivered: 0,
    bytesDelivered: 0,
    rejectsSent: 0,
  };

  constructor(private readonly opts: SessionLayerOptions) {
    this.maxSessionMessages = opts.maxSessionMessages ?? DEFAULT_MAX_SESSION_MESSAGES;
    this.maxSessions = opts.maxSessions ?? MAX_SESSIONS;
    this.handshakeTimeoutMs = opts.handshakeTimeoutMs ?? 1000;
    this.access = opts.access ?? PERMIT_ALL;
    opts.orderer.onDeliver((service, payload) => this.deliver(service, payload));
    opts.orderer.onDrained(() => this.maybeResumeReading());
    opts.orderer.onConfiguration?.((c) =>
      c.type === 'transitional' ? this.onTransitionalConfiguration(c.id, c.daemons) : this.onRegularConfiguration(c.id, c.daemons),
    );
  }

  get sessionCount(): number {
    return this.sessions.size;
  }

  /** Sessions that completed the handshake and are not killed. */
  get openSessionCount(): number {
    let n = 0;
    for (const s of this.sessions) if (s.state === 'open') n++;
    return n;
  }

  /** Each open session's outbound queue length, by private group (metrics, read at scrape time). */
  *queueDepths(): Iterable<readonly [string, number]> {
    for (const s of this.sessions) if (s.state === 'open') yield [s.privateGroup, s.queuedMessages];
  }

  /** Largest outbound queue of any session (for status and the bounded-memory tests). */
  get maxQueuedMessages(): number {
    let n = 0;
    for (const s of this.sessions) n = Math.max(n, s.queuedMessages);
    return n;
  }

  // ---- connections ----------------------------------------------------------------------

  /** A new client stream. Returns the session, or undefined when refused at once (quota). */
  accept(stream: ClientStream, peer: string, peerAddress?: string): Session | undefined {
    if (this.sessions.size >= this.maxSessions) {
      this.logSession(`refused ${peer}: ${this.sessions.size} sessions (REJECT_QUOTA)`);
      this.counters.sessionsRejected++;
      stream.write(encodeRejectByte(REJECT_QUOTA));
      stream.end();
      return undefined;
    }
    const s = new Session(this.nextId++, stream, peer, this.opts.now(), peerAddress);
    this.sessions.add(s);
    s.handshakeTimer = setTimeout(() => this.handshakeTimedOut(s), this.handshakeTimeoutMs);
    if (this.readPaused) this.pauseSession(s);
    return s;
  }

  /** Bytes read from a client stream. */
  onData(s: Session, chunk: Buffer): void {
    switch (s.state) {
      case 'open':
        s.reader!.push(chunk);
        return;
      case 'connect':
      case 'auth':
        s.handshakeBytes = s.handshakeBytes.length === 0 ? chunk : Buffer.concat([s.handshakeBytes, chunk]);
        this.continueHandshake(s);
        return;
      default:
        return; // killed or freed: later bytes are ignored
    }
  }

  /** End of stream, reset or socket error: like a crash of the client (spec 4.5). */
  onClosed(s: Session, why: string): void {
    if (s.state === 'open') this.killSession(s, why);
    else if (s.state === 'connect' || s.state === 'auth') this.dropHandshake(s, why);
  }

  /** Writable again: move queued messages into the socket. */
  onDrain(s: Session): void {
    if (s.state !== 'open' || !s.blocked) return;
    s.blocked = false;
    while (s.outQueueHead < s.outQueue.length && !s.blocked) {
      const buf = s.outQueue[s.outQueueHead]!;
      s.outQueue[s.outQueueHead++] = EMPTY_BUFFER;
      this.writeNow(s, buf);
    }
    if (s.outQueueHead === s.outQueue.length) {
      s.outQueue.length = 0;
      s.outQueueHead = 0;
    }
  }

  // ---- handshake (spec section 2) -------------------------------------------------------

  private continueHandshake(s: Session): void {
    if (s.state === 'connect') {
      const r = parseConnectRequest(s.handshakeBytes);
      if (r.kind === 'incomplete') return;
      if (r.kind === 'reject') return this.rejectHandshake(s, r.code, r.reason);
      s.libraryVersion = r.version;
      s.membership = r.membership;
      s.priority = r.priority;
      const name = r.name.length > 0 ? r.name : this.inventName(s);
      if (this.byPrivateGroup.has(privateGroupName(name, this.opts.daemonName)))
        return this.rejectHandshake(s, REJECT_NOT_UNIQUE, `private name '${name}' already in use`);
      s.privateName = name;
      s.handshakeBytes = s.handshakeBytes.subarray(r.consumed);
      if (versionNumber(r.version) < 31600) {
        // Libraries before 3.16 skip authentication (spec 2.3 step 11).
        s.handshakeBytes = Buffer.alloc(0);
        this.acceptSession(s);
        return;
      }
      if (this.access.allowed.length === 0) {
        s.stream.write(encodeAuthList([]));
        return this.rejectHandshake(s, REJECT_AUTH, 'no authentication method allowed');
      }
      s.stream.write(encodeAuthList(this.access.allowed));
      s.state = 'auth';
    }
    if (s.state === 'auth') {
      if (s.handshakeBytes.length < AUTH_CHOICE_BYTES) return;
      const chosen = parseAuthChoice(s.handshakeBytes.subarray(0, AUTH_CHOICE_BYTES));
      const rest = s.handshakeBytes.subarray(AUTH_CHOICE_BYTES);
      s.handshakeBytes = Buffer.alloc(0);
      const d = decideAuth(this.access, s.peerAddress, chosen);
      if (!d.accept) return this.rejectHandshake(s, d.code, d.reason);
      if (this.acceptSession(s) && rest.length > 0) s.reader!.push(rest);
    }
  }

  /** Replaces the access policy for handshakes from now on (open sessions stay). */
  setAccessPolicy(access: AccessPolicy): void {
    this.access = access;
  }

  private acceptSession(s: Session): boolean {
    const privateGroup = privateGroupName(s.privateName, this.opts.daemonName);
    if (this.byPrivateGroup.has(privateGroup)) {
      this.rejectHandshake(s, REJECT_NOT_UNIQUE, `private name '${s.privateName}' already in use`);
      return false;
    }
    clearTimeout(s.handshakeTimer);
    s.handshakeTimer = undefined;
    s.privateGroup = privateGroup;
    s.state = 'open';
    this.byPrivateGroup.set(privateGroup, s);
    s.reader = new FrameReader(
      { maxGroups: MAX_GROUPS_PER_MESSAGE, maxPayload: MAX_DAEMON_MESSAGE_PAYLOAD },
      (frame, h) => this.onClientMessage(s, frame, h),
      (reason) => this.killSession(s, `bad header: ${reason}`),
    );
    const includePatch = versionNumber(s.libraryVersion) >= 31500;
    s.stream.write(encodeAcceptReply(this.opts.daemonVersion, privateGroup, includePatch));
    this.counters.sessionsAccepted++;
    this.logSession(`accepted ${privateGroup} from ${s.peer} (library ${s.libraryVersion.major}.${s.libraryVersion.minor}.${s.libraryVersion.patch}, membership ${s.membership ? 'on' : 'off'})`);
    return true;
  }

  private inventName(s: Session): string {
    for (;;) {
      const k = Math.floor(this.opts.random() * 9999);
      const name = `r${k}-${s.id}`.slice(0, 9);
      if (!this.byPrivateGroup.has(privateGroupName(name, this.opts.daemonName))) return name;
    }
  }

  private rejectHandshake(s: Session, code: number, reason: string): void {
    // Authentication refusals belong to the access control module's category (Table 2.1 ACM).
    this.opts.log.log(code === REJECT_AUTH ? 'ACM' : 'SESSION', 'INFO', `refused ${s.peer}: ${reason} (reject ${code})`);
    this.counters.sessionsRejected++;
    s.stream.write(encodeRejectByte(code));
    s.stream.end();
    this.dropHandshake(s, reason);
  }

  private handshakeTimedOut(s: Session): void {
    if (s.state !== 'connect' && s.state !== 'auth') return;
    if (s.readPaused) {
      // The daemon, not the client, holds the handshake up (membership, water mark): wait on.
      s.handshakeTimer = setTimeout(() => this.handshakeTimedOut(s), this.handshakeTimeoutMs);
      return;
    }
    this.logSession(`closed ${s.peer}: handshake not complete within ${this.handshakeTimeoutMs} ms`);
    s.stream.destroy();
    this.dropHandshake(s, 'handshake timeout');
  }

  private dropHandshake(s: Session, _why: string): void {
    clearTimeout(s.handshakeTimer);
    s.handshakeTimer = undefined;
    s.state = 'freed';
    this.sessions.delete(s);
  }

  // ---- client messages going down -------------------------------------------------------

  private onClientMessage(s: Session, frame: Buffer, h: MessageHeader): void {
    if (s.state !== 'open') return;
    const problem = validateClientHeader(h, s.privateGroup);
    if (problem !== undefined) return this.killSession(s, `bad header: ${problem}`);
    this.counters.messagesReceived++;
    if ((h.type & (JOIN_MESS | LEAVE_MESS)) !== 0) {
      if (h.numGroups === 0) return this.killSession(s, 'join or leave without a group');
      const group = readName(frame, HEADER_BYTES);
      if (!isLegalGroupName(group)) {
        normalizeHeaderInPlace(frame, h);
        const oldType = (h.type & JOIN_MESS) !== 0 ? CAUSED_BY_JOIN : CAUSED_BY_LEAVE;
        this.logSession(`${s.privateGroup}: illegal group name ${JSON.stringify(group)} in ${oldType === CAUSED_BY_JOIN ? 'join' : 'leave'}: REJECT_MESS`);
        this.counters.rejectsSent++;
        this.writeToSession(s, encodeRejectMessage(frame, oldType, s.privateGroup, 0));
        return;
      }
      // Only the command and its first group travel: the body of a join or leave is ignored.
      this.opts.orderer.submit('AGREED', encodeCommand(h.type & (JOIN_MESS | LEAVE_MESS), s.privateGroup, group));
    } else if ((h.type & KILL_MESS) !== 0) {
      this.logSession(`${s.privateGroup} disconnected`);
      this.clearSession(s);
      this.opts.orderer.submit('AGREED', encodeCommand(KILL_MESS, s.privateGroup, s.privateGroup));
    } else {
      // Data: keep only the service bits and SELF_DISCARD, so nothing a client sends can pass
      // for a membership or daemon message (spec section 7).
      normalizeHeaderInPlace(frame, h, h.type & (REGULAR_MESS | SELF_DISCARD));
      this.opts.deliveryLatency?.sent(s.privateGroup);
      this.opts.orderer.submit(packetClassOf(h.type), frame);
    }
    this.checkWaterMark();
  }

  /**
   * Stops reading clients while the down queue is at WATER_MARK (design 8.4) or a GROUPS
   * exchange runs (design 7.7); TCP flow control then holds the senders.
   */
  private checkWaterMark(): void {
    if (this.readPaused || this.opts.orderer.downQueueLength < WATER_MARK) return;
    this.pauseReading();
    // The orderer reports progress on delivery; this also covers a queue drained without any.
    this.resumeTimer ??= setInterval(() => this.maybeResumeReading(), 10);
  }

  private pauseReading(): void {
    this.readPaused = true;
    for (const s of this.sessions) this.pauseSession(s);
  }

  /**
   * Event priorities (guide 5.1): while the daemons run the membership algorithm, new
   * connections and client messages wait unread, so that a flood of clients cannot delay the
   * view change; reading resumes once the new configuration is in place.
   */
  setMembershipRunning(running: boolean): void {
    if (this.membershipRunning === running) return;
    this.membershipRunning = running;
    if (this.opts.log.enabled('EVENTS')) {
      this.opts.log.log('EVENTS', 'INFO', running ? 'membership running: client events wait' : 'membership done: client events resume');
    }
    if (running) this.pauseReading();
    else this.maybeResumeReading();
  }

  private maybeResumeReading(): void {
    if (!this.readPaused || this.exchangeRunning || this.membershipRunning || this.opts.orderer.downQueueLength >= WATER_MARK) return;
    this.readPaused = false;
    clearInterval(this.resumeTimer);
    this.resumeTimer = undefined;
    for (const s of this.sessions) {
      if (s.readPaused) {
        s.readPaused = false;
        s.stream.resume();
      }
    }
  }

  private pauseSession(s: Session): void {
    if (s.readPaused) return;
    s.readPaused = true;
    s.stream.pause();
  }

  // ---- kills ----------------------------------------------------------------------------

  /**
   * Clears a session after a crash, a protocol violation or a full queue: the partial message is
   * dropped and a KILL is ordered behind everything it already sent, as Safe (design 8.5).
   */
  killSession(s: Session, why: string): void {
    if (s.state !== 'open') return;
    this.logSession(`killing ${s.privateGroup}: ${why}`);
    this.counters.sessionsKilled++;
    this.clearSession(s);
    this.opts.orderer.submit('SAFE', encodeCommand(KILL_MESS, s.privateGroup, s.privateGroup));
  }

  private clearSession(s: Session): void {
    s.state = 'killed';
    s.reader?.stop();
    s.outQueue.length = 0;
    s.outQueueHead = 0;
    s.stream.destroy();
  }

  // ---- ordered messages coming up -------------------------------------------------------

  private deliver(_service: PacketClass, payload: Buffer): void {
    const type = (payload.readUInt32LE(0) & ~LITTLE_ENDIAN_MARKER) >>> 0;
    const sender = readName(payload, 4);
    if ((type & JOIN_MESS) !== 0) {
      const group = readName(payload, HEADER_BYTES);
      if (this.opts.log.enabled('GROUPS')) this.opts.log.log('GROUPS', 'INFO', `${sender} joins ${group}`);
      this.sendNotices(this.opts.groups.join(sender, group, this.localSession(sender)));
    } else if ((type & LEAVE_MESS) !== 0) {
      const group = readName(payload, HEADER_BYTES);
      if (this.opts.log.enabled('GROUPS')) this.opts.log.log('GROUPS', 'INFO', `${sender} leaves ${group}`);
      this.sendNotices(this.opts.groups.leave(sender, group));
    } else if ((type & GROUPS_MESS) !== 0) {
      const m = decodeGroupsMessage(payload);
      if (m === undefined) this.opts.log.log('GROUPS', 'ERROR', `undecodable GROUPS message from ${sender}`);
      else this.applyGroupActions(this.opts.groups.groupsMessage(m));
    } else if ((type & KILL_MESS) !== 0) {
      if (this.opts.log.enabled('GROUPS')) this.opts.log.log('GROUPS', 'INFO', `${sender} disconnected: removed from its groups`);
      this.opts.deliveryLatency?.forget(sender);
      this.sendNotices(this.opts.groups.kill(sender));
      const s = this.byPrivateGroup.get(sender);
      if (s !== undefined) {
        // The name is free again only now, when every daemon has removed the member.
        this.byPrivateGroup.delete(sender);
        this.sessions.delete(s);
        s.state = 'freed';
      }
    } else {
      this.opts.deliveryLatency?.delivered(sender);
      this.deliverData(type, sender, payload);
    }
  }

  /** A transitional configuration delivered by the ring, in order with the messages. */
  onTransitionalConfiguration(transId: RingId, daemons: ReadonlyArray<string>): void {
    this.opts.log.log('GROUPS', 'INFO', `transitional configuration ${transId.procId}.${transId.time}: ${daemons.join(' ')}`);
    this.applyGroupActions(this.opts.groups.transitional(transId, daemons));
  }

  /** A regular configuration delivered by the ring. */
  onRegularConfiguration(ringId: RingId, daemons: ReadonlyArray<string>): void {
    this.opts.log.log('GROUPS', 'INFO', `regular configuration ${ringId.procId}.${ringId.time}: ${daemons.join(' ')}`);
    this.applyGroupActions(this.opts.groups.regular(ringId, daemons));
    // Back in GOP without an exchange (nobody new): every delivery path opens again.
    if (this.opts.groups.state === 'GOP' && !this.exchangeRunning) this.opts.orderer.setGroupsExchange?.(false);
  }

  private applyGroupActions(a: GroupActions<Session>): void {
    this.sendNotices(a.notices);
    const orderer = this.opts.orderer;
    if (a.exchange === 'start' && !this.exchangeRunning) {
      this.exchangeRunning = true;
      this.pauseReading();
      orderer.setGroupsExchange?.(true);
    }
    for (const m of a.groupsMessages) orderer.submitGroups?.(m.service, encodeGroupsMessage(m.message));
    if (a.exchange === 'done' && this.exchangeRunning) {
      this.exchangeRunning = false;
      orderer.setGroupsExchange?.(false);
      this.maybeResumeReading();
    }
  }

  private localSession(privateGroup: string): Session | undefined {
    return this.byPrivateGroup.get(privateGroup);
  }

  private sendNotices(notices: GroupNotice<Session>[]): void {
    for (const n of notices) this.writeToSession(n.to, n.bytes);
  }

  /** Each session that is in a destination group, or named as a private destination, gets one copy. */
  private deliverData(type: number, sender: string, payload: Buffer): void {
    const stamp = ++this.deliveryStamp;
    const numGroups = payload.readInt32LE(36);
    const skip = (type & SELF_DISCARD) !== 0 ? sender : undefined;
    for (let i = 0; i < numGroups; i++) {
      const off = HEADER_BYTES + 32 * i;
      if (payload[off] === 0x23) {
        const s = this.byPrivateGroup.get(readName(payload, off));
        if (s !== undefined && s.deliveryStamp !== stamp && s.privateGroup !== skip) {
          s.deliveryStamp = stamp;
          this.writeToSession(s, payload);
        }
        continue;
      }
      const members = this.opts.groups.localMembers(readName(payload, off));
      for (let j = 0; j < members.length; j++) {
        const s = members[j]!;
        if (s.deliveryStamp === stamp || s.privateGroup === skip) continue;
        s.deliveryStamp = stamp;
        this.writeToSession(s, payload);
      }
    }
  }

  // ---- writing to clients ---------------------------------------------------------------

  /**
   * Writes are corked and released once per event-loop turn, so a burst of deliveries leaves in
   * one system call. What the socket cannot take waits in the session's queue; a queue beyond
   * MaxSessionMessages means a receiver that does not read, and it is killed (design 8.3).
   */
  private writeToSession(s: Session, buf: Buffer): void {
    if (s.state !== 'open') return;
    this.counters.messagesDelivered++;
    this.counters.bytesDelivered += buf.length;
    if (s.blocked) {
      s.outQueue.push(buf);
      if (s.queuedMessages > this.maxSessionMessages) {
        this.counters.slowReadersKilled++;
        this.killSession(s, `slow receiver: more than ${this.maxSessionMessages} messages queued`);
      }
      return;
    }
    this.writeNow(s, buf);
  }

  private writeNow(s: Session, buf: Buffer): void {
    if (!s.corked) {
      s.corked = true;
      s.stream.cork();
      this.toUncork.push(s);
      if (!this.uncorkScheduled) {
        this.uncorkScheduled = true;
        setImmediate(this.uncorkAll);
      }
    }
    s.stream.write(buf);
    if (s.stream.writableLength >= SOCKET_SOFT_LIMIT_BYTES) s.blocked = true;
  }

  private readonly uncorkAll = (): void => {
    this.uncorkScheduled = false;
    for (const s of this.toUncork) {
      s.corked = false;
      if (s.state === 'open') s.stream.uncork();
    }
    this.toUncork.length = 0;
  };

  private logSession(message: string): void {
    this.opts.log.log('SESSION', 'INFO', message);
  }

  /** Closes every session (daemon shutdown). */
  closeAll(): void {
    clearInterval(this.resumeTimer);
    for (const s of this.sessions) {
      clearTimeout(s.handshakeTimer);
      s.state = 'freed';
      s.stream.destroy();
    }
    this.sessions.clear();
    this.byPrivateGroup.clear();
  }
}

const EMPTY_BUFFER = Buffer.alloc(0);
