const ESCAPE = 'b64~';

/**
 * The `Nats-Msg-Id` header value for a commandId. It is the commandId itself, except when a header
 * could not carry it unchanged: NATS header values may not hold CR or LF, and nats.js trims their
 * whitespace, so `" c-1"` and `"c-1"` would collide. Those (and ids that start with the escape
 * prefix) are sent as `b64~<base64url of the UTF-8>`, which keeps the mapping one-to-one.
 *
 * @example
 * ```ts
 * toMsgId('c-1'); // 'c-1'
 * toMsgId(' c-1'); // 'b64~IGMtMQ'
 * ```
 */
export function toMsgId(commandId: string): string {
  if (commandId.trim() !== commandId || /[\r\n]/.test(commandId) || commandId.startsWith(ESCAPE)) {
    return ESCAPE + Buffer.from(commandId, 'utf8').toString('base64url');
  }
  return commandId;
}
