import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NotFoundError, ValidationError } from '../../../src/errors.js';
import { defineProjection } from '../../../src/projection/defineProjection.js';
import { openViewEnvironment, type ViewEnvironment, type ViewStore } from '../../../src/projection/viewEnvironment.js';
import { createViewOverlay } from '../../../src/projection/viewOverlay.js';
import { tempDir } from '../../projection/support.js';

type Row = { owner: string; tags: string[] };
const P = defineProjection<Row>({
  name: 'P',
  from: ['A'],
  handlers: { E: () => {} },
  indexes: { byOwner: (r) => r.owner, byTag: (r) => r.tags },
});

describe('view overlay', () => {
  let dir: { dir: string; cleanup: () => void };
  let env: ViewEnvironment;
  let store: ViewStore;
  beforeEach(() => {
    dir = tempDir();
    env = openViewEnvironment(dir.dir);
    store = env.openStore('P', 1, ['byOwner', 'byTag']);
  });
  afterEach(async () => {
    await env.close();
    dir.cleanup();
  });

  const commit = async (fn: (view: ReturnType<typeof createViewOverlay>['view']) => void, collect = false) => {
    const overlay = createViewOverlay(store, P, { collect });
    overlay.position = 1;
    fn(overlay.view);
    await env.write(() => overlay.flush());
    return overlay;
  };

  it('buffers writes until flush, and reads its own writes', async () => {
    const overlay = createViewOverlay(store, P, { collect: false });
    overlay.view.put('k1', { owner: 'ada', tags: [] });
    expect(overlay.view.get('k1')).toEqual({ owner: 'ada', tags: [] });
    expect(store.data.get('k1')).toBeUndefined();
    await env.write(() => overlay.flush());
    expect(store.data.get('k1')).toEqual({ owner: 'ada', tags: [] });
  });

  it('maintains single- and multi-valued indexes on put, update and delete', async () => {
    await commit((v) => {
      v.put('k1', { owner: 'ada', tags: ['x', 'y'] });
      v.put('k2', { owner: 'ada', tags: ['y'] });
      v.put('k3', { owner: 'bob', tags: [] });
    });
    expect([...store.indexes.get('byOwner')!.getValues('ada')]).toEqual(['k1', 'k2']);
    expect([...store.indexes.get('byTag')!.getValues('y')]).toEqual(['k1', 'k2']);
    await commit((v) => {
      v.update('k1', (r) => ({ ...r!, owner: 'bob', tags: ['x'] }));
      v.delete('k2');
    });
    expect([...store.indexes.get('byOwner')!.getValues('ada')]).toEqual([]);
    expect([...store.indexes.get('byOwner')!.getValues('bob')]).toEqual(['k1', 'k3']);
    expect([...store.indexes.get('byTag')!.getValues('y')]).toEqual([]);
    expect([...store.indexes.get('byTag')!.getValues('x')]).toEqual(['k1']);
  });

  it('answers index lookups with the batch writes applied, in key order', async () => {
    await commit((v) => {
      v.put('b', { owner: 'ada', tags: [] });
      v.put('d', { owner: 'ada', tags: [] });
    });
    const overlay = createViewOverlay(store, P, { collect: false });
    const v = overlay.view;
    v.put('c', { owner: 'ada', tags: [] });
    v.put('a', { owner: 'ada', tags: [] });
    v.update('d', (r) => ({ ...r!, owner: 'bob' }));
    expect(v.index('byOwner').keys('ada')).toEqual(['a', 'b', 'c']);
    v.delete('b');
    expect(v.index('byOwner').keys('ada')).toEqual(['a', 'c']);
    expect(v.index('byOwner').keys('bob')).toEqual(['d']);
    expect(() => v.index('nope')).toThrow(NotFoundError);
  });

  it('records one change per key and commit position, deletions as null, and no change for deleting an absent key', async () => {
    await commit((v) => v.put('x', { owner: 'o', tags: [] }));
    const overlay = createViewOverlay(store, P, { collect: true });
    const v = overlay.view;
    overlay.position = 5;
    v.put('k', { owner: 'a', tags: [] });
    v.update('k', (r) => ({ ...r!, owner: 'b' }));
    v.delete('absent');
    overlay.position = 6;
    v.update('k', (r) => ({ ...r!, owner: 'c' }));
    v.delete('x');
    expect(overlay.changes).toEqual([
      { projection: 'P', key: 'k', value: { owner: 'b', tags: [] }, position: 5 },
      { projection: 'P', key: 'k', value: { owner: 'c', tags: [] }, position: 6 },
      { projection: 'P', key: 'x', value: null, position: 6 },
    ]);
    expect(overlay.folded(6)).toEqual([
      { projection: 'P', key: 'k', value: { owner: 'c', tags: [] }, position: 6 },
      { projection: 'P', key: 'x', value: null, position: 6 },
    ]);
  });

  it('refuses bad keys, null values and bad index keys with a ValidationError', () => {
    const v = createViewOverlay(store, P, { collect: false }).view;
    expect(() => v.put('', { owner: 'a', tags: [] })).toThrow(ValidationError);
    expect(() => v.put('k', null as never)).toThrow(/use delete/);
    expect(() => v.put('x'.repeat(2000), { owner: 'a', tags: [] })).toThrow(/longer than/);
    expect(() => v.put('k', { owner: '', tags: [] })).toThrow(/index byOwner returned ""/);
  });
});
