// Checks of every client message header (spec 4.6), as a pure function returning the reason a
// session must be closed, or undefined when the header is acceptable.
import {
  COMMAND_MESS,
  MAX_DAEMON_MESSAGE_PAYLOAD,
  MAX_GROUPS_PER_MESSAGE,
  MAX_MESSAGE_BODY_LEN,
  REGULAR_MESS,
  isSingleBit,
  type MessageHeader,
} from '../../client/wire/index.ts';

export function validateClientHeader(h: MessageHeader, privateGroup: string): string | undefined {
  const kind = h.type & (REGULAR_MESS | COMMAND_MESS);
  if (!isSingleBit(kind)) return `type 0x${h.type.toString(16)} is not exactly one service or command`;
  if (h.sender !== privateGroup) return `sender '${h.sender}' is not the session's own '${privateGroup}'`;
  if (h.numGroups < 0 || h.numGroups > MAX_GROUPS_PER_MESSAGE) return `num_groups ${h.numGroups} outside 0..100`;
  if ((h.hintRaw & 0x7f00007f) !== 0) return `hint 0x${h.hintRaw.toString(16)} has stray bits`;
  if (h.dataLen < 0 || h.dataLen > MAX_MESSAGE_BODY_LEN) return `data_len ${h.dataLen} out of range`;
  if (h.dataLen + 32 * h.numGroups > MAX_DAEMON_MESSAGE_PAYLOAD)
    return `message of ${h.dataLen + 32 * h.numGroups} bytes of groups and data exceeds ${MAX_DAEMON_MESSAGE_PAYLOAD}`;
  return undefined;
}
