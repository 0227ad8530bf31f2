// A fake-daemon script that behaves like a one-member daemon: data messages come back to the
// sender (unless SELF_DISCARD), a join is answered by a regular membership with the sender alone,
// a leave by the self-leave notice, a KILL by closing. `extraAfterJoin` frames follow each membership.
import { CAUSED_BY_JOIN, JOIN_MESS, KILL_MESS, LEAVE_MESS, REGULAR_MESS, SELF_DISCARD } from '../../../client/wire/constants.ts';
import { encodeRegularMembership, encodeSelfLeaveMessage } from '../../../client/wire/membership.ts';
import type { FakeSession } from './fake-daemon.ts';

export function echoScript(extraAfterJoin: (s: FakeSession) => Buffer[] = () => []): (s: FakeSession) => Promise<void> {
  return async (s) => {
    let index = 0;
    for (;;) {
      const f = await s.nextFrame(600_000);
      if (f === null) return;
      const t = f.header.type;
      if (t === KILL_MESS) {
        s.end();
        return;
      }
      if ((t & REGULAR_MESS) !== 0) {
        if ((t & SELF_DISCARD) === 0) s.send(f.bytes);
      } else if (t === JOIN_MESS || t === LEAVE_MESS) {
        const group = f.bytes.subarray(48, 80).toString('latin1').replace(/\0.*$/s, '');
        if (t === JOIN_MESS) {
          s.send(encodeRegularMembership(CAUSED_BY_JOIN, group, [s.privateGroup], { procId: 7, time: 8, index: ++index }, [[s.privateGroup]], 0));
          for (const extra of extraAfterJoin(s)) s.send(extra);
        } else s.send(encodeSelfLeaveMessage(group));
      }
    }
  };
}
