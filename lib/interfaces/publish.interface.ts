/** Options of `BroadcastService.publish()`. */
export interface PublishOptions {
  /** Connection ids that must not receive the event, e.g. the sender of a chat message. */
  readonly exclude?: readonly string[];
}

/** What a publish did: the event's id and how many local connections it was written to. */
export interface PublishResult {
  readonly id: string;
  readonly delivered: number;
}
