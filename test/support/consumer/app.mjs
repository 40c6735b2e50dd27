// Plain Node, no loader: send commands on the embedded engine, read the projection, close.
import { createApp } from 'tributary';
import { Counter, Totals } from './domain.mjs';

const app = await createApp({ engine: 'embedded', dataDir: './data', aggregates: [Counter], projections: [Totals] });
const results = [];
results.push(await app.send({ type: 'Add', aggregate: 'Counter', id: 'c-1', payload: { amount: 40 }, commandId: 'add-1' }));
results.push(await app.send({ type: 'Add', aggregate: 'Counter', id: 'c-1', payload: { amount: 2 }, commandId: 'add-2' }));
results.push(await app.send({ type: 'Add', aggregate: 'Counter', id: 'c-1', payload: { amount: 2 }, commandId: 'add-2' }));
results.push(await app.send({ type: 'Add', aggregate: 'Counter', id: 'c-1', payload: { amount: 99 } }));
results.push(await app.send({ type: 'Add', aggregate: 'Counter', id: 'c-1', payload: { amount: 'many' } }));
const last = results[1];
const total = await app.projection(Totals).get('c-1', { minPosition: last.ok ? last.position : 0 });
const state = await app.state(Counter, 'c-1');
await app.close();
console.log(JSON.stringify({ outcomes: results.map((r) => (r.ok ? 'ok' : r.error.code)), total, state: state?.context, version: state?.version }));
