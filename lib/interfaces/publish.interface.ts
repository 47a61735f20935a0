/** Options of `BroadcastService.publish()`. */
export interface PublishOptions {
  /** Connection ids that must not receive the event, e.g. the sender of a chat message. */
  readonly exclude?: readonly string[];
  /**
   * Under the `conflate` slow-consumer policy, a queued event with the same key is replaced by
   * this one. Default: the channel and event type.
   */
  readonly conflateKey?: string;
}

/** What a publish did: the event's id and how many connections of this process it reached. */
export interface PublishResult {
  readonly id: string;
  readonly delivered: number;
}

/** What a targeted send did: how many connections of this process it reached. */
export interface SendResult {
  readonly delivered: number;
}
