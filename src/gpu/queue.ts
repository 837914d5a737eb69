/**
 * A per-model request queue: at most `concurrency` jobs run at once, at most `maxQueue` wait;
 * beyond that `run` rejects at once with `BUSY` (the server answers 503 + Retry-After) instead
 * of letting memory grow without bound. `drain()` waits for everything admitted to finish.
 */
import { Real2SimError } from '../model/errors.ts';

export class ModelQueue {
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  private idle: (() => void)[] = [];

  constructor(
    readonly name: string,
    readonly concurrency = 1,
    readonly maxQueue = 32,
  ) {}

  get stats(): { running: number; waiting: number } {
    return { running: this.running, waiting: this.waiting.length };
  }

  async run<T>(job: () => Promise<T>): Promise<T> {
    if (this.running >= this.concurrency) {
      if (this.waiting.length >= this.maxQueue) {
        throw new Real2SimError('TOO_LARGE', `Model "${this.name}" is busy: ${this.running} running and ${this.waiting.length} waiting (limit ${this.maxQueue}). Retry later.`, {
          busy: true,
          model: this.name,
        });
      }
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else this.running++;
    try {
      return await job();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else {
        this.running--;
        if (this.running === 0) {
          const idle = this.idle;
          this.idle = [];
          for (const f of idle) f();
        }
      }
    }
  }

  /** Resolves when nothing runs or waits. */
  drain(): Promise<void> {
    if (this.running === 0 && this.waiting.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }
}
