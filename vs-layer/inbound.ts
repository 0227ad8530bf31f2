// What a message received from the daemon means to the VS layer: which groups' state machines it
// feeds, with which input. Pure (the message is already decoded by the client library).
import type { SpreadMessage } from '../client/api/spread-message.ts';
import { SERVICE_BITS } from '../client/api/spread-message.ts';
import { REGULAR_MESS } from '../client/wire/constants.ts';
import type { GroupInput } from './group-fsm.ts';
import type { ServiceLevel, ViewCause } from './types.ts';
import { decodeVsFrame, isVsMessType, viewIdFromWords } from './wire.ts';

export interface RoutedInput {
  readonly group: string;
  readonly input: GroupInput;
}

/** Inputs for the groups of ours the message concerns, or why it is ignored. */
export type Inbound = { readonly inputs: readonly RoutedInput[] } | { readonly drop: string };

const SERVICE_BY_BIT = new Map<number, ServiceLevel>(Object.entries(SERVICE_BITS).map(([name, bit]) => [bit, name as ServiceLevel]));

export function serviceOf(serviceType: number): ServiceLevel | undefined {
  return SERVICE_BY_BIT.get(serviceType & REGULAR_MESS);
}

/** Maps one received message; `ours` says whether a group name is a VS group of this connection. */
export function routeInbound(m: SpreadMessage, ours: (group: string) => boolean): Inbound {
  if (m.isMembership()) return membership(m, ours);
  if (m.isRegular()) return data(m, ours);
  return { drop: 'reject message from the daemon' };
}

function membership(m: SpreadMessage, ours: (group: string) => boolean): Inbound {
  let info;
  try {
    info = m.getMembershipInfo();
  } catch (err) {
    return { drop: `malformed membership: ${err instanceof Error ? err.message : String(err)}` };
  }
  const group = info.getGroup().name;
  if (!ours(group)) return { drop: `membership of ${group}, not a VS group of ours` };
  const gid = info.getGroupID();
  if (info.isRegularMembership() && gid !== undefined) {
    const cause: ViewCause = info.isCausedByJoin() ? 'join' : info.isCausedByLeave() ? 'leave' : info.isCausedByDisconnect() ? 'disconnect' : 'network';
    return {
      inputs: [
        {
          group,
          input: {
            type: 'evsRegular',
            viewId: viewIdFromWords(gid.id),
            groupId: gid.id,
            members: info.getMembers().map((g) => g.name),
            cause,
            vsSets: info.getVirtualSynchronySets().map((s) => s.members.map((g) => g.name)),
            myVsSetIndex: info.getMyVirtualSynchronySetIndex(),
          },
        },
      ],
    };
  }
  if (info.isTransition() && gid !== undefined) return { inputs: [{ group, input: { type: 'evsTransitional', viewId: viewIdFromWords(gid.id) } }] };
  if (info.isSelfLeave()) return { inputs: [{ group, input: { type: 'evsSelfLeave' } }] };
  return { drop: 'membership message of an unknown kind' };
}

function data(m: SpreadMessage, ours: (group: string) => boolean): Inbound {
  const sender = m.sender?.name ?? '';
  const service = serviceOf(m.serviceType);
  if (service === undefined) return { drop: `data message with service 0x${m.serviceType.toString(16)}` };
  const dests = m.groupNames;
  if (!isVsMessType(m.type)) {
    // Plain data: what a member sends to the whole group in steady state.
    const inputs = [...new Set(dests)].filter(ours).map((group): RoutedInput => ({ group, input: { type: 'data', sender, service, messType: m.type, payload: m.data } }));
    return inputs.length > 0 ? { inputs } : { drop: `plain message from ${sender} for no VS group of ours` };
  }
  const r = decodeVsFrame(m.type, m.data);
  if (!r.ok) return { drop: `bad VS frame from ${sender}: ${r.reason}` };
  const f = r.frame;
  // A subgroup cast names its group in the header (it is addressed to private groups).
  const group = f.kind === 'data' && f.group !== undefined ? f.group : dests.length === 1 ? dests[0]! : undefined;
  if (group === undefined || !ours(group)) return { drop: `VS frame from ${sender} for ${String(group)}, not a VS group of ours` };
  if (f.kind === 'flushOk') return { inputs: [{ group, input: { type: 'flushOk', sender, viewId: f.viewId } }] };
  if (f.kind === 'flushRecv') return { inputs: [{ group, input: { type: 'flushRecv', sender, viewId: f.viewId } }] };
  return {
    inputs: [
      {
        group,
        input: {
          type: 'data',
          sender,
          service,
          messType: f.origType,
          payload: f.payload,
          ...(f.tag === undefined ? {} : { tag: f.tag }),
          ...(f.group === undefined ? {} : { receivers: dests }),
        },
      },
    ],
  };
}
