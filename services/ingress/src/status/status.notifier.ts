import { Injectable } from '@nestjs/common';
import type { StatusChange } from '../tasks/tasks.repository';

type Listener = (change: StatusChange) => void;

/** In-process fan-out of status changes to the WatchTask streams this replica serves. */
@Injectable()
export class StatusNotifier {
  private readonly listeners = new Map<string, Set<Listener>>();

  listen(taskHash: string, listener: Listener): () => void {
    let set = this.listeners.get(taskHash);
    if (!set) this.listeners.set(taskHash, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.listeners.delete(taskHash);
    };
  }

  notify(change: StatusChange): void {
    for (const listener of this.listeners.get(change.taskHash) ?? []) listener(change);
  }

  watchers(): number {
    let n = 0;
    for (const set of this.listeners.values()) n += set.size;
    return n;
  }
}
