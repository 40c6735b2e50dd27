import { describe, expect, it } from 'vitest';
import * as main from '../../src/index.js';
import * as nats from '../../src/nats.js';
import * as testing from '../../src/testing/index.js';

// The package's entry points export these values and no others (types are checked by the
// consumer typecheck in test/integration/package.test.ts). A new export is a decision: add it
// here in the same change, with its TSDoc.
describe('the public surface', () => {
  it('tributary exports authoring, the app, the errors and little else', () => {
    expect(Object.keys(main).sort()).toEqual([
      'AlreadyRefusedError',
      'ClosedError',
      'CodecError',
      'ConcurrencyError',
      'ConfigError',
      'ConnectionError',
      'InternalError',
      'NotFoundError',
      'PROCESS_COMMAND_TYPE',
      'ProcessHaltedError',
      'ProjectionFailedError',
      'REJECTION_TYPE',
      'RejectedError',
      'TimeoutError',
      'TributaryError',
      'UnknownCommandError',
      'ValidationError',
      'createApp',
      'createLmdbEventLog',
      'createLogger',
      'createProjections',
      'defineAggregate',
      'defineConfig',
      'defineProcess',
      'defineProjection',
      'isRejection',
      'reject',
      'sendCommand',
      'startOpsServer',
      'toErrorShape',
      'withProjections',
    ]);
  });

  it('tributary/nats exports the NATS building blocks', () => {
    expect(Object.keys(nats).sort()).toEqual([
      'DEFAULT_COMMAND_PREFIX',
      'DEFAULT_COMMAND_QUEUE',
      'DEFAULT_COMMAND_TIMEOUT',
      'DEFAULT_MAX_COMMAND_BYTES',
      'DEFAULT_VIEWS_QUEUE',
      'DEFAULT_VIEW_TIMEOUT',
      'JSON_CONTENT_TYPE',
      'commandSubject',
      'connectNats',
      'createCommandClient',
      'createCommandService',
      'createNatsEventLog',
      'createViewClient',
      'createViewPublisher',
      'createViewService',
      'decodeViewKey',
      'encodeViewKey',
      'resolveNatsConnectOptions',
      'viewChangeSubject',
    ]);
  });

  it('tributary/testing exports the test helpers', () => {
    expect(Object.keys(testing).sort()).toEqual(['describeEventLog', 'given', 'givenProcess']);
  });
});
