/**
 * One aggregate instance's queue: jobs run one at a time, in arrival order. It is a plain record
 * driven by the functions below rather than an object of closures, because there is one per live
 * aggregate and each closure would cost memory at a hundred thousand of them.
 *
 * A caller that finds the mailbox free ({@link enter}) runs its job at once, with no queueing and
 * no extra promise; otherwise it {@link enqueue}s it. Every job calls {@link leave} as it ends
 * (before its own promise settles), which starts the next queued job straight away.
 *
 * @example
 * ```ts
 * const box = createMailbox<Job>((job) => run(job));
 * if (enter(box)) run(job); else enqueue(box, job);
 * // ...and when a job ends:
 * leave(box);
 * ```
 */
export type Mailbox<Job> = {
  /** True while a job runs or waits. */
  busy: boolean;
  readonly start: (job: Job) => void;
  // A queue as an array and the index of its first job: `shift()` would move every waiting job.
  // Both arrays are made on first use: most live aggregates never queue a job or wait for idle.
  waiting: Job[] | undefined;
  head: number;
  starting: boolean;
  leftAgain: boolean;
  idleWaiters: Array<() => void> | undefined;
};

/**
 * Creates an empty mailbox; `start` runs a queued job when its turn comes (the job must
 * {@link leave} when it ends).
 *
 * @example
 * ```ts
 * const box = createMailbox<Queued>(startQueued);
 * ```
 */
export function createMailbox<Job>(start: (job: Job) => void): Mailbox<Job> {
  return { busy: false, start, waiting: undefined, head: 0, starting: false, leftAgain: false, idleWaiters: undefined };
}

/**
 * Takes the mailbox for a job that runs now; false when it is busy (then {@link enqueue} it).
 *
 * @example
 * ```ts
 * if (enter(box)) return handle(command);
 * ```
 */
export function enter<Job>(box: Mailbox<Job>): boolean {
  if (box.busy) return false;
  box.busy = true;
  return true;
}

/**
 * Queues a job behind the running one.
 *
 * @example
 * ```ts
 * return new Promise((resolve) => enqueue(box, { command, resolve }));
 * ```
 */
export function enqueue<Job>(box: Mailbox<Job>, job: Job): void {
  (box.waiting ??= []).push(job);
}

/**
 * Ends the running job and starts the next one, or marks the mailbox idle. A job that ends
 * without awaiting leaves from inside `start`: the loop here, not the stack, takes the next one,
 * so a long queue of such jobs cannot overflow the stack.
 *
 * @example
 * ```ts
 * try { return await work(); } finally { leave(box); }
 * ```
 */
export function leave<Job>(box: Mailbox<Job>): void {
  if (box.starting) {
    box.leftAgain = true;
    return;
  }
  box.starting = true;
  try {
    do {
      box.leftAgain = false;
      const waiting = box.waiting;
      if (waiting === undefined || box.head === waiting.length) {
        box.waiting = undefined;
        box.head = 0;
        box.busy = false;
        const waiters = box.idleWaiters;
        if (waiters !== undefined) {
          box.idleWaiters = undefined;
          for (const resolve of waiters) resolve();
        }
        return;
      }
      const job = waiting[box.head]!;
      // Drop the reference, so that a long queue does not keep its finished jobs alive.
      (waiting as Array<Job | undefined>)[box.head++] = undefined;
      box.start(job);
    } while (box.leftAgain);
  } finally {
    box.starting = false;
  }
}

/**
 * Resolves once no job runs or waits.
 *
 * @example
 * ```ts
 * await whenIdle(box);
 * ```
 */
export function whenIdle<Job>(box: Mailbox<Job>): Promise<void> {
  return box.busy ? new Promise<void>((resolve) => (box.idleWaiters ??= []).push(resolve)) : Promise.resolve();
}
