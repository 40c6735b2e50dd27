/**
 * `tributary/testing`: helpers for your tests that import no test runner. `given` works with any
 * (it throws `AssertionError`s); `describeEventLog` registers its suite with the `describe`, `it`
 * and `expect` you pass.
 */
export { given, type Given, type GivenCommand, type GivenEvent, type GivenOptions, type When } from './given.js';
export type { OlderGivenEvent } from './givenHistory.js';
export { describeEventLog, type EventLogFixture } from './describeEventLog.js';
export type { Matchers, PromisedMatchers, TestRunner } from './testRunner.js';
export {
  givenProcess,
  type ExpectedTimer,
  type GivenAnswer,
  type GivenProcess,
  type GivenProcessEvent,
  type GivenProcessInput,
  type GivenTimer,
  type ProcessWhen,
} from './givenProcess.js';
