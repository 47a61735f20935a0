import type { OutboundFrame } from '../interfaces/sse-frame.interface.js';

interface Node {
  frame: OutboundFrame;
  next: Node | undefined;
  prev: Node | undefined;
}

/**
 * Frames waiting for a socket that reported backpressure, bounded in bytes. A linked list keeps
 * every operation O(1): append, drop the oldest, replace a conflated frame in place.
 */
export class OutboundQueue {
  private head: Node | undefined;
  private tail: Node | undefined;
  private readonly byKey = new Map<string, Node>();
  bytes = 0;
  length = 0;

  push(frame: OutboundFrame): void {
    const node: Node = { frame, next: undefined, prev: this.tail };
    if (this.tail) this.tail.next = node;
    else this.head = node;
    this.tail = node;
    this.bytes += frame.bytes.length;
    this.length++;
    if (frame.conflateKey !== undefined) this.byKey.set(frame.conflateKey, node);
  }

  /**
   * Replaces the queued frame with the same conflation key, keeping its place in the queue.
   * Returns false when no frame with that key is waiting.
   */
  replace(frame: OutboundFrame): boolean {
    const node = frame.conflateKey === undefined ? undefined : this.byKey.get(frame.conflateKey);
    if (!node) return false;
    this.bytes += frame.bytes.length - node.frame.bytes.length;
    node.frame = frame;
    return true;
  }

  shift(): OutboundFrame | undefined {
    const node = this.head;
    if (!node) return undefined;
    this.head = node.next;
    if (this.head) this.head.prev = undefined;
    else this.tail = undefined;
    this.bytes -= node.frame.bytes.length;
    this.length--;
    const key = node.frame.conflateKey;
    if (key !== undefined && this.byKey.get(key) === node) this.byKey.delete(key);
    return node.frame;
  }

  clear(): void {
    this.head = this.tail = undefined;
    this.byKey.clear();
    this.bytes = 0;
    this.length = 0;
  }
}
