// Java's MessageFactory: a template message cloned for each send. Subclass and override
// createMessage() to stamp each copy (e.g. with a time).
import { SpreadMessage } from './spread-message.ts';

export class MessageFactory {
  private template: SpreadMessage;

  constructor(defaultMessage: SpreadMessage = new SpreadMessage()) {
    this.template = defaultMessage.clone();
  }

  /** Replaces the template (a copy is kept, so later changes to `message` do not leak in). */
  setDefault(message: SpreadMessage): void {
    this.template = message.clone();
  }

  /** A fresh outgoing copy of the template. */
  createMessage(): SpreadMessage {
    return this.template.clone();
  }
}
