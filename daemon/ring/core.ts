// The ring core: one pure, synchronous state machine (design 1.2, 10.1). Events in, actions out;
// no clock, no randomness, no I/O. One token visit is one call.
import type { SpreadConfig } from '../config/model.ts';
import { startMembership } from '../membership/transitions.ts';
import { onSubmit, useGroupsQueue } from './hold.ts';
import { installRing, type RingInstall } from './install.ts';
import { reconfigureRing } from './reconfigure.ts';
import { onDataDatagram, onTokenDatagram } from './receive.ts';
import { onTimer, setDeliveryThreshold } from './timers.ts';
import { ringParamsFromConfig, type RingParamOverrides, type RingParams } from './params.ts';
import { checkInvariants, createRingState, holds, type RingState } from './state.ts';
import type { RingAction, RingEvent, RingStatus } from './types.ts';

/** The three flow-control parameters (design 4). */
export interface FlowControlValues {
  readonly window: number;
  readonly personalWindow: number;
  readonly acceleratedWindow: number;
}

export class RingCore {
  /** The shared state object of the ordering and the membership modules. */
  readonly state: RingState;

  constructor(params: RingParams) {
    this.state = createRingState(params);
  }

  static fromConfig(config: SpreadConfig, selfId: number, overrides?: RingParamOverrides): RingCore {
    return new RingCore(ringParamsFromConfig(config, selfId, overrides));
  }

  /** Installs a ring with a known member list; the leader processes the ring's first token at once. */
  install(ring: RingInstall): RingAction[] {
    const out: RingAction[] = [];
    installRing(this.state, out, ring);
    return out;
  }

  /** Processes one event; the returned actions must be performed in order. */
  step(event: RingEvent): RingAction[] {
    const out: RingAction[] = [];
    const s = this.state;
    switch (event.type) {
      case 'start':
        startMembership(s, out);
        break;
      case 'data':
        onDataDatagram(s, out, event.bytes);
        break;
      case 'token':
        onTokenDatagram(s, out, event.bytes);
        break;
      case 'submit':
        onSubmit(s, out, event.message, event.queue);
        break;
      case 'timer':
        onTimer(s, out, event.name);
        break;
      case 'threshold':
        setDeliveryThreshold(s, out, event.threshold);
        break;
      case 'useGroupsQueue':
        useGroupsQueue(s, out, event.on);
        break;
      case 'clearGroupsQueue':
        s.groupsQueue.clearUnsent();
        break;
      case 'reconfigure':
        reconfigureRing(s, out, event.params);
        break;
    }
    return out;
  }

  /**
   * Monitor flow control (design 4, 9.1): the token visit reads these from the next visit on.
   * An undefined value is kept; the accelerated window never exceeds the personal window.
   */
  setFlowControl(fc: Partial<FlowControlValues>): void {
    const p = this.state.params;
    const personalWindow = fc.personalWindow ?? p.personalWindow;
    const acceleratedWindow = Math.min(fc.acceleratedWindow ?? p.acceleratedWindow, personalWindow);
    this.state.params = { ...p, window: fc.window ?? p.window, personalWindow, acceleratedWindow };
  }

  get flowControl(): FlowControlValues {
    const { window, personalWindow, acceleratedWindow } = this.state.params;
    return { window, personalWindow, acceleratedWindow };
  }

  /** Client messages waiting for the token; the session layer stops reading clients at WATER_MARK. */
  get downQueueLength(): number {
    return this.state.downQueue.length;
  }

  /** True when this daemon holds packet `seq` of its ring (stored, or stable and freed). */
  holds(seq: number): boolean {
    return holds(this.state, seq);
  }

  /** First violated state invariant, or undefined (for simulators and tests). */
  checkInvariants(full = false): string | undefined {
    return checkInvariants(this.state, full);
  }

  status(): RingStatus {
    const s = this.state;
    let upQueueFragments = 0;
    for (const q of s.upQueues.values()) upQueueFragments += q.parts.length;
    return {
      selfId: s.params.selfId,
      ringId: s.ring.ringId,
      members: s.ring.members,
      leader: s.ring.leader,
      state: s.memberState,
      membershipChanges: s.counters.membershipChanges,
      tokenAlive: s.tokenAlive,
      tokenHeld: s.tokenHeld,
      deliveryThreshold: s.deliveryThreshold,
      highestSeq: s.highestSeq,
      myAru: s.myAru,
      aru: s.aru,
      lastDiscarded: s.lastDiscarded,
      lastDelivered: s.lastDelivered,
      packetsStored: s.store.size,
      downQueueLength: s.downQueue.length,
      upQueueFragments,
      tokenRounds: s.tokenRounds,
      receivedTokenRounds: s.receivedTokenRounds,
      futureRingId: s.memb.future?.ringId,
      futureMembers: s.memb.future?.members,
      transitionalId: s.memb.transitionalId,
      groupsQueueLength: s.groupsQueue.length,
      usingGroupsQueue: s.usingGroupsQueue,
      counters: { ...s.counters, delivered: { ...s.counters.delivered } },
    };
  }
}
