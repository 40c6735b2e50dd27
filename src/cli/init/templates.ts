/**
 * The versions a scaffolded project depends on: this tributary's own, and the ranges this
 * tributary is built against.
 *
 * @example
 * ```ts
 * const versions: TemplateVersions = { tributary: '^0.1.0', xstate: '^5.33.3', zod: '^4.6.7', tsx: '^4.23.15' };
 * ```
 */
export type TemplateVersions = { tributary: string; xstate: string; zod: string; tsx: string };

const packageJson = (name: string, v: TemplateVersions): string =>
  `${JSON.stringify(
    {
      name,
      version: '0.1.0',
      private: true,
      type: 'module',
      scripts: { test: 'tsx --test test/*.test.ts', serve: 'tributary serve' },
      dependencies: { tributary: v.tributary, xstate: v.xstate, zod: v.zod },
      devDependencies: { tsx: v.tsx },
    },
    null,
    2,
  )}\n`;

const tsconfig = `${JSON.stringify(
  {
    compilerOptions: {
      target: 'ES2023',
      module: 'NodeNext',
      moduleResolution: 'NodeNext',
      strict: true,
      verbatimModuleSyntax: true,
      skipLibCheck: true,
      noEmit: true,
    },
    include: ['src', 'test', 'tributary.config.ts'],
  },
  null,
  2,
)}\n`;

const config = `import { defineConfig } from 'tributary';
import { OpenTasks } from './src/OpenTasks.js';
import { Task } from './src/Task.js';

// Flags and environment variables override these (see the Tributary README's config table).
export default defineConfig({
  aggregates: [Task],
  projections: [OpenTasks],
  dataDir: './data', // views (and the embedded engine's log) live here
  nats: { prefix: 'tasks' },
});
`;

const aggregate = `import { assign, emit, setup } from 'xstate';
import { z } from 'zod';
import { defineAggregate, reject, type AggregateTypes } from 'tributary';

const commands = {
  AddTask: z.object({ title: z.string().trim().min(1).max(200) }),
  CompleteTask: z.object({}),
};

const events = {
  TaskAdded: z.object({ title: z.string() }),
  TaskCompleted: z.object({}),
};

const machine = setup({
  types: {} as AggregateTypes<typeof commands, typeof events, { title: string }>,
}).createMachine({
  id: 'Task',
  context: { title: '' },
  initial: 'new',
  states: {
    new: {
      on: {
        // A command transition checks and emits; an event transition evolves the state.
        AddTask: { actions: emit(({ event }) => ({ type: 'TaskAdded', data: { title: event.payload.title } })) },
        TaskAdded: { target: 'open', actions: assign({ title: ({ event }) => event.data.title }) },
      },
    },
    open: {
      on: {
        CompleteTask: { actions: emit({ type: 'TaskCompleted', data: {} }) },
        TaskCompleted: { target: 'done' },
      },
    },
    done: {
      on: {
        CompleteTask: { actions: reject('AlreadyDone', ({ context }) => \`task "\${context.title}" is already done\`) },
      },
    },
  },
});

/** A task: AddTask, then CompleteTask once (again: rejected with AlreadyDone). */
export const Task = defineAggregate({ name: 'Task', machine, commands, events });
`;

const projection = `import { defineProjection } from 'tributary';

export type OpenTask = { title: string; addedAt: number };
type TaskEvents = { TaskAdded: { title: string }; TaskCompleted: Record<string, never> };

/** The tasks not done yet, by task id. */
export const OpenTasks = defineProjection<OpenTask, TaskEvents>({
  name: 'OpenTasks',
  from: ['Task'],
  handlers: {
    TaskAdded: (view, event, envelope) => view.put(envelope.id, { title: event.data.title, addedAt: envelope.timestamp }),
    TaskCompleted: (view, _event, envelope) => view.delete(envelope.id),
  },
});
`;

const test = `import { describe, it } from 'node:test';
import { given } from 'tributary/testing';
import { Task } from '../src/Task.js';

describe('Task', () => {
  it('is added', async () => {
    await given(Task).when('AddTask', { title: 'Try Tributary' }).then([{ type: 'TaskAdded', data: { title: 'Try Tributary' } }]);
  });
  it('is completed once', async () => {
    const added = [{ type: 'TaskAdded', data: { title: 'Try Tributary' } }] as const;
    await given(Task, [...added]).when('CompleteTask').then([{ type: 'TaskCompleted', data: {} }]);
    await given(Task, [...added, { type: 'TaskCompleted', data: {} }]).when('CompleteTask').thenRejects('rejected', 'AlreadyDone');
  });
});
`;

const readme = (name: string): string => `# ${name}
A [Tributary](https://www.npmjs.com/package/tributary) service: the aggregate \`src/Task.ts\`, the projection \`src/OpenTasks.ts\`, and \`tributary.config.ts\` to serve them.
\`npm install && npm test\`; then, with NATS_URL set, \`npx tributary serve\` hosts them and \`npx tributary send Task t-1 AddTask '{"title":"Try it"}' --prefix tasks\` sends a command.
`;

/**
 * The files of a new project, by path relative to its directory.
 *
 * @example
 * ```ts
 * for (const [file, text] of Object.entries(projectFiles('my-service', versions))) fs.writeFileSync(file, text);
 * ```
 */
export function projectFiles(name: string, versions: TemplateVersions): Record<string, string> {
  return {
    'package.json': packageJson(name, versions),
    'tsconfig.json': tsconfig,
    'tributary.config.ts': config,
    'src/Task.ts': aggregate,
    'src/OpenTasks.ts': projection,
    'test/Task.test.ts': test,
    'README.md': readme(name),
    '.gitignore': 'node_modules/\ndata/\n',
  };
}
