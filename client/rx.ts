// RxJS streams over a SpreadConnection, for plain EVS users (no view synchrony: see vs-layer/).
//
// One reader per connection, shared by every stream made from it: the streams see messages in
// arrival order, each message once. The reader pulls through the connection's iterator, so it
// cannot be combined with listeners or receive() on the same connection (DeliveryModeError).
// Unsubscribing the last stream stops the reader; messages that arrive meanwhile stay queued in
// the connection (none is lost) and go to the next subscriber. The streams complete after
// close() and error with the connection's typed error (ConnectionClosedError, ProtocolError...)
// when it fails.
import { filter, map, Observable, share, type OperatorFunction } from 'rxjs';
import type { GroupID } from './api/group-id.ts';
import type { MembershipInfo } from './api/membership-info.ts';
import type { SpreadConnection } from './api/spread-connection.ts';
import type { SpreadMessage } from './api/spread-message.ts';

export type MembershipCause = 'join' | 'leave' | 'disconnect' | 'network';

/** One membership message, decoded (spec 5.2 to 5.5). */
export type MembershipEvent =
  | {
      readonly kind: 'regular';
      readonly group: string;
      readonly groupId: GroupID;
      /** Private group names after the change, in the daemon's order. */
      readonly members: readonly string[];
      /** My index in `members` (the message's mess_type). */
      readonly myIndex: number;
      readonly cause: MembershipCause;
      /** The joiner, leaver or disconnected member (undefined for a network change). */
      readonly changed: string | undefined;
      readonly vsSets: ReadonlyArray<readonly string[]>;
      /** The members that came through the change with me. */
      readonly myVsSet: readonly string[];
      readonly info: MembershipInfo;
      readonly message: SpreadMessage;
    }
  | { readonly kind: 'transitional'; readonly group: string; readonly groupId: GroupID; readonly info: MembershipInfo; readonly message: SpreadMessage }
  | { readonly kind: 'selfLeave'; readonly group: string; readonly info: MembershipInfo; readonly message: SpreadMessage };

const readers = new WeakMap<SpreadConnection, Observable<SpreadMessage>>();
/** Messages taken off the connection after the last unsubscription: handed to the next subscriber first. */
const leftovers = new WeakMap<SpreadConnection, SpreadMessage[]>();

/** Every message of the connection (data, membership, rejects) in arrival order. */
export function spreadMessages$(conn: SpreadConnection): Observable<SpreadMessage> {
  let obs = readers.get(conn);
  if (obs === undefined) {
    obs = new Observable<SpreadMessage>((subscriber) => {
      const ac = new AbortController();
      let stopped = false;
      const early = leftovers.get(conn) ?? [];
      leftovers.delete(conn);
      for (const m of early) subscriber.next(m);
      const it = conn.messages({ signal: ac.signal });
      void (async () => {
        try {
          for (;;) {
            const r = await it.next();
            if (r.done === true) break;
            if (stopped) {
              // Taken off the socket as the last subscriber left: keep it for the next one.
              const l = leftovers.get(conn) ?? [];
              l.push(r.value);
              leftovers.set(conn, l);
              break;
            }
            subscriber.next(r.value);
          }
          if (!stopped) subscriber.complete();
        } catch (err) {
          if (!stopped) subscriber.error(err);
        }
      })();
      return () => {
        stopped = true;
        ac.abort();
        void it.return?.();
      };
    }).pipe(share());
    readers.set(conn, obs);
  }
  return obs;
}

/** Data messages (not membership, not rejects); with `group`, only those addressed to it. */
export function messages$(conn: SpreadConnection, options: { group?: string } = {}): Observable<SpreadMessage> {
  const g = options.group;
  return spreadMessages$(conn).pipe(filter((m) => m.isRegular() && (g === undefined || m.groupNames.includes(g))));
}

/** Membership messages as typed events; with `group`, only that group's. */
export function membership$(conn: SpreadConnection, options: { group?: string } = {}): Observable<MembershipEvent> {
  const g = options.group;
  return spreadMessages$(conn).pipe(
    filter((m) => m.isMembership()),
    toMembershipEvent(),
    filter((e) => g === undefined || e.group === g),
  );
}

/** Decodes membership messages; a malformed one errors the stream with IllegalMessageError. */
export function toMembershipEvent(): OperatorFunction<SpreadMessage, MembershipEvent> {
  return map((message) => {
    const info = message.getMembershipInfo();
    const group = info.getGroup().name;
    if (info.isRegularMembership()) {
      const cause: MembershipCause = info.isCausedByJoin() ? 'join' : info.isCausedByLeave() ? 'leave' : info.isCausedByDisconnect() ? 'disconnect' : 'network';
      const changed = info.getJoined() ?? info.getLeft() ?? info.getDisconnected();
      return {
        kind: 'regular',
        group,
        groupId: info.getGroupID()!,
        members: info.getMembers().map((m) => m.name),
        myIndex: message.type,
        cause,
        changed: changed?.name,
        vsSets: info.getVirtualSynchronySets().map((s) => s.members.map((m) => m.name)),
        myVsSet: info.getStayed().map((m) => m.name),
        info,
        message,
      };
    }
    if (info.isTransition()) return { kind: 'transitional', group, groupId: info.getGroupID()!, info, message };
    return { kind: 'selfLeave', group, info, message };
  });
}
