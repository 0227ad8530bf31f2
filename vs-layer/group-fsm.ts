// The flush protocol for one group at one member, as a pure state machine (design 1.5): EVS
// membership events, VS frames and application commands go in; deliveries, frames to send and
// refusals come out, in the order the shell must perform them. No I/O, no clock, no randomness.
//
// Two state variables, as in Flush: the join state (joining -> joined -> leaving -> gone) and the
// view phase (steady -> authorize -> agree -> verify -> steady). EVS changes wait in a FIFO queue;
// the head is the change being worked on. A view is installed when FLUSH_OKs for the head's id
// have arrived from every member of that EVS view. Because each member sends its FLUSH_OK FIFO
// after its own messages, by then every message sent in the old view by a member of the new one
// has been delivered, which is what virtual synchrony needs.
import {
  FL_MAX_LEGAL_MESS_TYPE,
  FL_MIN_LEGAL_MESS_TYPE,
  FLOK_AGE_LIMIT,
  ILLEGAL_MESSAGE_TYPE,
  ILLEGAL_RECEIVERS,
  ILLEGAL_STATE,
  PLACEHOLDERS_MAX,
} from './constants.ts';
import { ILLEGAL_GROUP } from '../client/wire/constants.ts';
import type { DepartureCause, ServiceLevel, ViewCause, ViewId, VsMessage, VsView } from './types.ts';

export type JoinState = 'joining' | 'joined' | 'leaving' | 'gone';
export type ViewPhase = 'steady' | 'authorize' | 'agree' | 'verify';

export interface GroupFsmOptions {
  /** My private group name. */
  readonly self: string;
  readonly group: string;
  /** What a send gets after flushing and before the next view: wait for it, or ILLEGAL_STATE. */
  readonly sendWhileFlushed: 'queue' | 'reject';
}

/** A regular EVS membership of the group (spec 5.3), decoded. */
export interface EvsRegularInput {
  readonly type: 'evsRegular';
  readonly viewId: ViewId;
  readonly groupId: readonly [number, number, number];
  readonly members: readonly string[];
  readonly cause: ViewCause;
  readonly vsSets: ReadonlyArray<readonly string[]>;
  /** Index of my own vs set (meaningful for 'network'); -1 if none. */
  readonly myVsSetIndex: number;
}

/** A data message of the group as it came off the wire. */
export interface DataInput {
  readonly type: 'data';
  readonly sender: string;
  readonly service: ServiceLevel;
  readonly messType: number;
  readonly payload: Uint8Array;
  /** Vulnerable: the view the sender had installed when it sent this. */
  readonly tag?: ViewId;
  readonly receivers?: readonly string[];
}

/** A send requested by the application; `token` lets the shell match the outcome to the caller. */
export interface AppSendInput {
  readonly type: 'appSend';
  readonly token: number;
  readonly service: ServiceLevel;
  readonly messType: number;
  readonly payload: readonly Uint8Array[];
  readonly receivers?: readonly string[];
  readonly selfDiscard?: boolean;
}

export type GroupInput =
  | EvsRegularInput
  | { readonly type: 'evsTransitional'; readonly viewId: ViewId }
  | { readonly type: 'evsSelfLeave' }
  | DataInput
  | { readonly type: 'flushOk'; readonly sender: string; readonly viewId: ViewId }
  | { readonly type: 'flushRecv'; readonly sender: string; readonly viewId: ViewId }
  | AppSendInput
  | { readonly type: 'appFlush' }
  | { readonly type: 'appLeave' };

/** What the application is given; the shell turns a flush request into a FlushRequest object. */
export type FsmDelivery =
  | { readonly kind: 'view'; readonly group: string; readonly view: VsView }
  | { readonly kind: 'message'; readonly group: string; readonly message: VsMessage }
  | { readonly kind: 'transitional'; readonly group: string; readonly viewId: ViewId }
  | { readonly kind: 'flushRequest'; readonly group: string; readonly viewId: ViewId }
  | { readonly kind: 'left'; readonly group: string };

/** A send the shell performs now, in this order relative to the other actions. */
export interface SendDataAction {
  readonly type: 'sendData';
  readonly token: number;
  /** The view it is sent in. */
  readonly viewId: ViewId;
  /** Set for a weak (FIFO or weaker) send before every member has confirmed the view. */
  readonly tag: ViewId | undefined;
  readonly service: ServiceLevel;
  readonly messType: number;
  readonly payload: readonly Uint8Array[];
  readonly receivers: readonly string[] | undefined;
  readonly selfDiscard: boolean;
}

/**
 * Actions, to be performed in order. Sends must reach the EVS client in this order: a member's
 * FLUSH_OK has to follow its own data messages of the old view on the wire.
 */
export type GroupAction =
  | { readonly type: 'deliver'; readonly event: FsmDelivery }
  | { readonly type: 'sendControl'; readonly kind: 'flushOk' | 'flushRecv'; readonly viewId: ViewId }
  | SendDataAction
  /** The send waits for the next view (the application has flushed, or the group is joining). */
  | { readonly type: 'queued'; readonly token: number }
  /** An application command is refused with a Flush/Spread code; `token` for sends. */
  | { readonly type: 'refuse'; readonly token: number | undefined; readonly code: number; readonly detail: string }
  /** Send the Spread LEAVE for the group. */
  | { readonly type: 'sendLeave' }
  /** Input ignored (stale, foreign or from a non-member); counted by the shell. */
  | { readonly type: 'dropped'; readonly reason: string };

interface Change {
  readonly id: ViewId;
  readonly groupId: readonly [number, number, number];
  readonly members: readonly string[];
  readonly memberSet: ReadonlySet<string>;
  readonly cause: ViewCause;
  readonly vsSets: ReadonlyArray<readonly string[]>;
  /** Members that sent FLUSH_OK for this id. */
  readonly oks: Set<string>;
  /** Members that sent FLUSH_RECV for this id (they installed it before we did). */
  readonly recvs: Set<string>;
  /** Members seen leaving after this change was queued. */
  readonly gone: Set<string>;
  /** Who left in this change, and in discarded changes just before it, and why. */
  readonly departures: Map<string, DepartureCause>;
  /** An earlier change was discarded into this one: the application sees one merged change. */
  collapsed: boolean;
}

/** FLUSH_OKs / FLUSH_RECVs for an id whose EVS membership has not (yet) arrived. */
interface Placeholder {
  readonly oks: Set<string>;
  readonly recvs: Set<string>;
  age: number;
}

interface Installed {
  readonly view: VsView;
  readonly memberSet: ReadonlySet<string>;
  /** Members not yet seen leaving. */
  readonly present: Set<string>;
  /** The transitional signal of this view was delivered. */
  transitional: boolean;
  /** Members that confirmed (FLUSH_RECV) this view. */
  readonly recvs: Set<string>;
}

/** A snapshot for tests, logs and stats. */
export interface GroupFsmSnapshot {
  readonly join: JoinState;
  readonly phase: ViewPhase;
  readonly installedId: ViewId | undefined;
  readonly present: readonly string[];
  readonly queue: readonly ViewId[];
  readonly held: number;
  readonly outbox: number;
  readonly placeholders: number;
}

const WEAK: ReadonlySet<ServiceLevel> = new Set<ServiceLevel>(['unreliable', 'reliable', 'fifo']);

/** FIFO and weaker services are not causally ordered after the FLUSH_OKs, so they may need a view tag. */
export const isWeakService = (s: ServiceLevel): boolean => WEAK.has(s);

export class GroupFsm {
  private join: JoinState = 'joining';
  // A joiner has nothing to flush: it agrees to its first view at once (Flush does the same).
  private phase: ViewPhase = 'agree';
  private installed: Installed | undefined;
  private lastEvs: { readonly id: ViewId; readonly members: readonly string[] } | undefined;
  private queue: Change[] = [];
  private placeholders = new Map<ViewId, Placeholder>();
  /** Vulnerable messages for the head change, held until it is installed. */
  private held: DataInput[] = [];
  /** Sends waiting for the next view. */
  private outbox: AppSendInput[] = [];
  private out: GroupAction[] = [];

  constructor(private readonly o: GroupFsmOptions) {}

  /** Feeds one input; returns the actions it causes, in order. */
  step(input: GroupInput): GroupAction[] {
    this.out = [];
    switch (input.type) {
      case 'evsRegular':
        this.onEvsRegular(input);
        break;
      case 'evsTransitional':
        this.onEvsTransitional();
        break;
      case 'evsSelfLeave':
        this.onSelfLeave();
        break;
      case 'data':
        this.onData(input);
        break;
      case 'flushOk':
        this.onFlushOk(input.sender, input.viewId);
        break;
      case 'flushRecv':
        this.onFlushRecv(input.sender, input.viewId);
        break;
      case 'appSend':
        this.onAppSend(input);
        break;
      case 'appFlush':
        this.onAppFlush();
        break;
      case 'appLeave':
        this.onAppLeave();
        break;
    }
    const out = this.out;
    this.out = [];
    return out;
  }

  get joinState(): JoinState {
    return this.join;
  }

  get viewPhase(): ViewPhase {
    return this.phase;
  }

  /** The last installed view. */
  get view(): VsView | undefined {
    return this.installed?.view;
  }

  snapshot(): GroupFsmSnapshot {
    return {
      join: this.join,
      phase: this.phase,
      installedId: this.installed?.view.id,
      present: this.installed === undefined ? [] : [...this.installed.present],
      queue: this.queue.map((c) => c.id),
      held: this.held.length,
      outbox: this.outbox.length,
      placeholders: this.placeholders.size,
    };
  }

  /** Broken invariants (empty when all hold); tests run it after every step. */
  invariants(): string[] {
    const v: string[] = [];
    const inst = this.installed;
    if (this.phase === 'authorize' && this.queue.length === 0 && this.join !== 'gone') v.push('authorize without a pending change');
    if ((this.phase === 'steady' || this.phase === 'verify') && inst === undefined) v.push(`${this.phase} without an installed view`);
    if (this.join === 'joining' && inst !== undefined) v.push('joining with an installed view');
    if (this.join === 'joined' && inst === undefined) v.push('joined without an installed view');
    if (this.join === 'gone' && (this.queue.length > 0 || this.outbox.length > 0 || this.held.length > 0)) v.push('gone with state left');
    if (inst !== undefined) for (const p of inst.present) if (!inst.memberSet.has(p)) v.push(`present ${p} not a member`);
    const head = this.queue[0];
    for (const h of this.held) if (head === undefined || h.tag !== head.id) v.push(`held message tagged ${String(h.tag)} not for the head`);
    if (this.outbox.length > 0 && this.join !== 'joining' && this.phase !== 'agree') v.push(`outbox not empty in ${this.join}/${this.phase}`);
    if (new Set(this.queue.map((c) => c.id)).size !== this.queue.length) v.push('duplicate change ids in the queue');
    if (this.placeholders.size > PLACEHOLDERS_MAX) v.push('too many placeholders');
    return v;
  }

  // ---- EVS membership ----

  private onEvsRegular(e: EvsRegularInput): void {
    if (this.join === 'gone') return this.drop('membership for a group we left');
    const members = new Set(e.members);
    const leavers = this.leaversOf(e, members);
    const reason: DepartureCause = e.cause === 'join' ? 'network' : e.cause;

    let shrank = false;
    const inst = this.installed;
    for (const l of leavers) {
      if (inst !== undefined && inst.present.delete(l)) shrank = true;
      for (const c of this.queue) if (c.memberSet.has(l)) c.gone.add(l);
    }
    this.agePlaceholders();

    const headBefore = this.queue[0];
    const early = this.placeholders.get(e.viewId);
    this.placeholders.delete(e.viewId);
    this.queue.push({
      id: e.viewId,
      groupId: e.groupId,
      members: e.members,
      memberSet: members,
      cause: e.cause,
      vsSets: e.vsSets,
      oks: new Set([...(early?.oks ?? [])].filter((m) => members.has(m))),
      recvs: new Set(early?.recvs ?? []),
      gone: new Set(),
      departures: new Map(leavers.map((l) => [l, reason])),
      collapsed: false,
    });
    this.collapse();

    if (shrank && inst !== undefined && !inst.transitional) this.deliverTransitional(inst);
    if (this.queue[0] !== headBefore) {
      // The change being worked on is new (or the old one can never complete): vulnerable
      // messages held for the old one belong to a view nobody will install.
      if (this.held.length > 0) this.drop(`${this.held.length} held messages of a discarded change`);
      this.held = [];
      this.startNextChange();
    }
    this.lastEvs = { id: e.viewId, members: e.members };
    this.tryInstall();
  }

  /**
   * Members of the previous EVS view that did not come through this change with me: for a
   * network change, those outside my vs set; otherwise those no longer listed.
   */
  private leaversOf(e: EvsRegularInput, members: ReadonlySet<string>): string[] {
    const prev = this.lastEvs;
    if (prev === undefined) return [];
    const mine = e.cause === 'network' ? e.vsSets[e.myVsSetIndex] : undefined;
    const stayed = mine === undefined ? members : new Set(mine.filter((m) => members.has(m)));
    return prev.members.filter((m) => !stayed.has(m));
  }

  /**
   * A queued change that lost a member before that member's FLUSH_OK arrived can never complete:
   * it is discarded and its successor stands for both (Flush's collapsing of cascaded changes).
   * The newest change is never discarded here: its own leavers are not among its members.
   */
  private collapse(): void {
    for (let i = 0; i < this.queue.length - 1; i++) {
      const c = this.queue[i]!;
      let dead = false;
      for (const g of c.gone) if (!c.oks.has(g)) dead = true;
      if (!dead) continue;
      const next = this.queue[i + 1]!;
      for (const [m, why] of c.departures) if (!next.departures.has(m)) next.departures.set(m, why);
      next.collapsed = true;
      this.queue.splice(i, 1);
      i--;
    }
  }

  private agePlaceholders(): void {
    for (const [id, p] of this.placeholders) if (++p.age > FLOK_AGE_LIMIT) this.placeholders.delete(id);
  }

  /** Begin work on the head change, according to where the application is. */
  private startNextChange(): void {
    const head = this.queue[0];
    if (head === undefined) return;
    switch (this.phase) {
      case 'steady':
      case 'verify':
        this.phase = 'authorize';
        // A leaving member is not asked: it will not flush, and its leave discards the change.
        if (this.join !== 'leaving') this.deliver({ kind: 'flushRequest', group: this.o.group, viewId: head.id });
        return;
      case 'authorize':
        return; // the request already delivered now covers this change
      case 'agree':
        // The application already agreed; the new change gets our FLUSH_OK at once.
        this.emit({ type: 'sendControl', kind: 'flushOk', viewId: head.id });
        return;
    }
  }

  private onEvsTransitional(): void {
    if (this.join === 'gone') return this.drop('transitional signal for a group we left');
    const inst = this.installed;
    if (inst !== undefined && !inst.transitional) this.deliverTransitional(inst);
  }

  private deliverTransitional(inst: Installed): void {
    inst.transitional = true;
    this.deliver({ kind: 'transitional', group: this.o.group, viewId: inst.view.id });
  }

  private onSelfLeave(): void {
    if (this.join === 'gone') return this.drop('second self-leave');
    for (const s of this.outbox) this.refuse(s.token, ILLEGAL_STATE, 'the group was left before the message could be sent');
    this.join = 'gone';
    this.queue = [];
    this.outbox = [];
    this.held = [];
    this.placeholders.clear();
    this.deliver({ kind: 'left', group: this.o.group });
  }

  // ---- flush protocol frames ----

  private onFlushOk(sender: string, id: ViewId): void {
    if (this.join === 'gone') return this.drop('FLUSH_OK for a group we left');
    const c = this.queue.find((x) => x.id === id);
    if (c !== undefined) {
      if (!c.memberSet.has(sender)) return this.drop(`FLUSH_OK for ${id} from non-member ${sender}`);
      c.oks.add(sender);
      this.tryInstall();
      return;
    }
    if (this.installed?.view.id === id) return this.drop(`FLUSH_OK for the installed view ${id}`);
    this.placeholder(id).oks.add(sender);
  }

  private onFlushRecv(sender: string, id: ViewId): void {
    if (this.join === 'gone') return this.drop('FLUSH_RECV for a group we left');
    const inst = this.installed;
    if (inst !== undefined && inst.view.id === id) {
      inst.recvs.add(sender);
      this.checkSteady();
      return;
    }
    const c = this.queue.find((x) => x.id === id);
    if (c !== undefined) c.recvs.add(sender);
    else this.placeholder(id).recvs.add(sender);
  }

  private placeholder(id: ViewId): Placeholder {
    let p = this.placeholders.get(id);
    if (p === undefined) {
      if (this.placeholders.size >= PLACEHOLDERS_MAX) {
        const oldest = this.placeholders.keys().next().value;
        if (oldest !== undefined) this.placeholders.delete(oldest);
        this.drop('placeholder table full: oldest early FLUSH_OK forgotten');
      }
      p = { oks: new Set(), recvs: new Set(), age: 0 };
      this.placeholders.set(id, p);
    }
    return p;
  }

  private tryInstall(): void {
    for (;;) {
      const head = this.queue[0];
      if (head === undefined || this.phase !== 'agree') return;
      for (const m of head.members) if (!head.oks.has(m)) return;
      this.install(head);
    }
  }

  private install(head: Change): void {
    this.queue.shift();
    const prev = this.installed;
    const self = this.o.self;
    const left = prev === undefined ? [] : prev.view.members.filter((m) => !head.memberSet.has(m));
    const collapsed = head.collapsed;
    const cause: ViewCause = collapsed ? 'network' : head.cause;
    const delta = !collapsed && cause !== 'network' ? head.vsSets[0]?.[0] : undefined;
    const view: VsView = {
      group: this.o.group,
      id: head.id,
      groupId: head.groupId,
      members: head.members,
      myIndex: head.members.indexOf(self),
      cause,
      ...(delta === undefined ? {} : { delta }),
      cameWithMe: prev === undefined ? head.members.filter((m) => m === self) : head.members.filter((m) => prev.present.has(m)),
      vsSets: head.vsSets,
      joined: prev === undefined ? [...head.members] : head.members.filter((m) => !prev.memberSet.has(m)),
      left,
      disconnected: left.filter((m) => head.departures.get(m) === 'disconnect'),
      ...(prev === undefined ? {} : { previousId: prev.view.id }),
    };
    const inst: Installed = {
      view,
      memberSet: head.memberSet,
      present: new Set(head.members.filter((m) => !head.gone.has(m))),
      transitional: false,
      recvs: new Set(head.recvs),
    };
    this.installed = inst;
    if (this.join === 'joining') this.join = 'joined';
    this.phase = 'verify';
    this.deliver({ kind: 'view', group: this.o.group, view });
    // Members of the new view already gone: the view is shrinking as it starts.
    if (inst.present.size < head.members.length) this.deliverTransitional(inst);

    // Held messages were sent in this view and arrived while their senders were members, so
    // every member that installed the view before us delivered them: so do we, even if the
    // sender has left since.
    const held = this.held;
    this.held = [];
    for (const h of held) this.deliverMessage(inst, h);
    const outbox = this.outbox;
    this.outbox = [];
    for (const s of outbox) this.sendNow(inst, s);

    if (this.queue.length === 0) {
      this.emit({ type: 'sendControl', kind: 'flushRecv', viewId: view.id });
      this.checkSteady();
    } else {
      this.startNextChange();
    }
  }

  /** Every present member confirmed the view: weak sends need no tag any more. */
  private checkSteady(): void {
    const inst = this.installed;
    if (this.phase !== 'verify' || inst === undefined) return;
    for (const m of inst.present) if (!inst.recvs.has(m)) return;
    this.phase = 'steady';
  }

  // ---- data ----

  private onData(d: DataInput): void {
    if (this.join === 'gone') return this.drop('message for a group we left');
    const inst = this.installed;
    if (d.tag !== undefined && d.tag !== inst?.view.id) {
      // Sent in a view its sender installed before us: hold it until we install that view.
      const head = this.queue[0];
      if (head !== undefined && head.id === d.tag && head.memberSet.has(d.sender) && !head.gone.has(d.sender)) {
        this.held.push(d);
        return;
      }
      return this.drop(`vulnerable message from ${d.sender} for view ${d.tag}, not the one being installed`);
    }
    if (inst === undefined || !inst.present.has(d.sender)) return this.drop(`message from ${d.sender}, not in the current view`);
    this.deliverMessage(inst, d);
  }

  private deliverMessage(inst: Installed, d: DataInput): void {
    const message: VsMessage = {
      group: this.o.group,
      viewId: inst.view.id,
      sender: d.sender,
      service: d.service,
      type: d.messType,
      payload: d.payload,
      ...(d.receivers === undefined ? {} : { receivers: d.receivers }),
      afterTransitional: inst.transitional,
    };
    this.deliver({ kind: 'message', group: this.o.group, message });
  }

  // ---- application commands ----

  private onAppSend(s: AppSendInput): void {
    if (this.join === 'gone') return this.refuse(s.token, ILLEGAL_GROUP, `not a member of ${this.o.group}`);
    if (this.join === 'leaving') return this.refuse(s.token, ILLEGAL_STATE, `leaving ${this.o.group}`);
    if (!Number.isInteger(s.messType) || s.messType < FL_MIN_LEGAL_MESS_TYPE || s.messType > FL_MAX_LEGAL_MESS_TYPE)
      return this.refuse(s.token, ILLEGAL_MESSAGE_TYPE, `message type ${s.messType} is reserved or out of range`);
    if (s.receivers !== undefined) {
      if (s.receivers.length === 0) return this.refuse(s.token, ILLEGAL_RECEIVERS, 'no receivers');
      const inst = this.installed;
      const stranger = inst === undefined ? undefined : s.receivers.find((r) => !inst.memberSet.has(r));
      if (stranger !== undefined) return this.refuse(s.token, ILLEGAL_RECEIVERS, `${stranger} is not in the last installed view`);
    }
    const inst = this.installed;
    if (this.join === 'joining' || this.phase === 'agree' || inst === undefined) {
      if (this.o.sendWhileFlushed === 'reject') return this.refuse(s.token, ILLEGAL_STATE, `${this.o.group} is flushed: no sends until the next view`);
      this.outbox.push(s);
      this.emit({ type: 'queued', token: s.token });
      return;
    }
    this.sendNow(inst, s);
  }

  private sendNow(inst: Installed, s: AppSendInput): void {
    if (s.receivers !== undefined) {
      const stranger = s.receivers.find((r) => !inst.memberSet.has(r));
      if (stranger !== undefined) return this.refuse(s.token, ILLEGAL_RECEIVERS, `${stranger} is not in view ${inst.view.id}`);
    }
    this.emit({
      type: 'sendData',
      token: s.token,
      viewId: inst.view.id,
      tag: isWeakService(s.service) && this.phase !== 'steady' ? inst.view.id : undefined,
      service: s.service,
      messType: s.messType,
      payload: s.payload,
      receivers: s.receivers,
      selfDiscard: s.selfDiscard === true,
    });
  }

  private onAppFlush(): void {
    if (this.join === 'gone') return this.refuse(undefined, ILLEGAL_GROUP, `not a member of ${this.o.group}`);
    if (this.join === 'leaving') return this.refuse(undefined, ILLEGAL_STATE, `leaving ${this.o.group}`);
    const head = this.queue[0];
    if (this.phase !== 'authorize' || head === undefined) return this.refuse(undefined, ILLEGAL_STATE, `no flush request pending (${this.phase})`);
    this.phase = 'agree';
    this.emit({ type: 'sendControl', kind: 'flushOk', viewId: head.id });
    this.tryInstall();
  }

  private onAppLeave(): void {
    if (this.join === 'gone') return this.refuse(undefined, ILLEGAL_GROUP, `not a member of ${this.o.group}`);
    if (this.join === 'leaving') return this.refuse(undefined, ILLEGAL_STATE, `already leaving ${this.o.group}`);
    this.join = 'leaving';
    for (const s of this.outbox) this.refuse(s.token, ILLEGAL_STATE, 'the group was left before the message could be sent');
    this.outbox = [];
    this.emit({ type: 'sendLeave' });
  }

  // ---- outputs ----

  private emit(a: GroupAction): void {
    this.out.push(a);
  }

  private deliver(event: FsmDelivery): void {
    this.out.push({ type: 'deliver', event });
  }

  private refuse(token: number | undefined, code: number, detail: string): void {
    this.out.push({ type: 'refuse', token, code, detail });
  }

  private drop(reason: string): void {
    this.out.push({ type: 'dropped', reason });
  }
}
