// The scheduler's queue of ready tasks.
import type { Launch } from './graphWalk';

/** FIFO of launch groups with O(1) removal at the head (a foreach can queue thousands). */
export class LaunchQueue {
  private items: Launch[][] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }
  push(group: Launch[]): void {
    this.items.push(group);
  }
  peek(): Launch[] | undefined {
    return this.items[this.head];
  }
  shift(): Launch[] | undefined {
    const group = this.items[this.head];
    this.head += 1;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return group;
  }
  clear(): void {
    this.items = [];
    this.head = 0;
  }
}
