import { describe, expect, it } from 'vitest';
import { createMailbox, enqueue, enter, leave, whenIdle } from '../../../src/aggregate/mailbox.js';

describe('mailbox', () => {
  it('runs jobs one at a time in arrival order, and is idle only when none runs or waits', async () => {
    const ran: number[] = [];
    let finish: (() => void) | undefined;
    const box = createMailbox<number>((job) => {
      ran.push(job);
      // Every queued job ends later, as an awaited append would.
      finish = () => leave(box);
    });
    expect(enter(box)).toBe(true);
    ran.push(0);
    expect(enter(box)).toBe(false);
    enqueue(box, 1);
    enqueue(box, 2);
    let idle = false;
    void whenIdle(box).then(() => (idle = true));
    leave(box); // job 0 ends: job 1 starts at once
    expect(ran).toEqual([0, 1]);
    expect(box.busy).toBe(true);
    finish!(); // job 1 ends: job 2 starts
    expect(ran).toEqual([0, 1, 2]);
    await Promise.resolve();
    expect(idle).toBe(false);
    finish!(); // job 2 ends: nothing waits
    expect(box.busy).toBe(false);
    await Promise.resolve();
    expect(idle).toBe(true);
    expect(enter(box)).toBe(true);
  });

  it('drains jobs that end inside start without growing the stack', () => {
    let count = 0;
    const box = createMailbox<number>(() => {
      count++;
      leave(box);
    });
    enter(box);
    for (let i = 0; i < 200_000; i++) enqueue(box, i);
    leave(box);
    expect(count).toBe(200_000);
    expect(box.busy).toBe(false);
  });
});
