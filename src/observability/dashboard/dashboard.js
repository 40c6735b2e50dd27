// The dashboard: plain browser JavaScript fed by the server-sent events of /events.
(() => {
  const WINDOW_S = 300;
  const MAX_CHANGES = 50;
  const $ = (id) => document.getElementById(id);
  const text = (tag, value, cls) => {
    const el = document.createElement(tag);
    el.textContent = String(value);
    if (cls) el.className = cls;
    return el;
  };
  const history = { t: [], byName: new Map() };
  let chart;
  let previous;

  const ensureChart = (names) => {
    const key = names.join(',');
    if (chart && chart.key === key) return;
    chart?.destroy();
    const series = [{}, ...names.map((name, i) => ({ label: name, stroke: `hsl(${(i * 67) % 360} 65% 45%)`, width: 2 }))];
    chart = new uPlot({ width: $('lag-chart').clientWidth || 800, height: 220, series, axes: [{}, { label: 'positions' }] }, [[]], $('lag-chart'));
    chart.key = key;
  };

  const renderProjections = (projections, at) => {
    const body = $('projections').tBodies[0];
    body.replaceChildren(
      ...projections.map((p) => {
        const row = document.createElement('tr');
        row.dataset.projection = p.name;
        row.append(text('td', p.name), text('td', p.state, `state-${p.state}`), text('td', p.position, 'n'), text('td', p.headPosition, 'n'));
        row.append(text('td', p.lag, 'n lag'), text('td', p.lagSeconds.toFixed(1), 'n lag-seconds'), text('td', p.skipped, 'n'));
        return row;
      }),
    );
    const names = projections.map((p) => p.name);
    history.t.push(at / 1000);
    for (const p of projections) {
      if (!history.byName.has(p.name)) history.byName.set(p.name, history.t.slice(0, -1).map(() => null));
      history.byName.get(p.name).push(p.lag);
    }
    while (history.t.length && history.t[0] < at / 1000 - WINDOW_S) {
      history.t.shift();
      for (const values of history.byName.values()) values.shift();
    }
    if (names.length === 0) return;
    ensureChart(names);
    chart.setData([history.t, ...names.map((n) => history.byName.get(n))]);
  };

  const renderCommands = (commands, at) => {
    const byCode = new Map();
    for (const c of commands) byCode.set(c.labels.code, (byCode.get(c.labels.code) ?? 0) + c.value);
    const body = $('commands').tBodies[0];
    const codes = [...byCode.keys()].sort((a, b) => (a === 'ok' ? -1 : b === 'ok' ? 1 : a.localeCompare(b)));
    body.replaceChildren(
      ...codes.map((code) => {
        const total = byCode.get(code);
        const before = previous?.byCode.get(code) ?? 0;
        const seconds = previous ? (at - previous.at) / 1000 : 0;
        const rate = seconds > 0 ? (total - before) / seconds : 0;
        const row = document.createElement('tr');
        row.dataset.code = code;
        row.append(text('td', code), text('td', total, 'n total'), text('td', rate.toFixed(1), 'n rate'));
        return row;
      }),
    );
    previous = { at, byCode };
  };

  // A table of rows keyed by `key` (a process, an aggregate), shown only when it has rows.
  const renderRows = (id, rows, key, columns) => {
    $(`${id}-section`).hidden = rows.length === 0;
    $(id).tBodies[0].replaceChildren(
      ...rows.map((r) => {
        const row = document.createElement('tr');
        row.dataset[key] = r[key];
        row.append(text('td', r[key]), ...columns.map((c) => text('td', r[c] ?? 0, `n ${c}`)));
        return row;
      }),
    );
  };

  const onSample = (event) => {
    const sample = JSON.parse(event.data);
    if (sample.error) {
      $('reasons').textContent = sample.error;
      return;
    }
    const { health, commands, at } = sample;
    const ready = $('ready');
    ready.textContent = health.ready ? 'ready' : 'not ready';
    ready.className = health.ready ? 'ready' : 'not-ready';
    $('reasons').textContent = health.reasons.join('; ');
    $('actors').textContent = String(health.actors);
    $('nats').textContent = health.nats ? `NATS ${health.nats.connected ? 'connected' : 'disconnected'}, ${health.nats.reconnects} reconnects` : 'embedded engine';
    renderProjections(health.projections, at);
    renderCommands(commands, at);
    renderRows('processes', sample.processes ?? [], 'process', ['outbox', 'timers', 'lag', 'halted']);
    renderRows('shards', sample.shards ?? [], 'aggregate', ['owned', 'nodes', 'forwarded']);
  };

  const onChanges = (event) => {
    const { changes } = JSON.parse(event.data);
    const list = $('changes');
    for (const c of changes) {
      const value = c.value === null ? 'deleted' : JSON.stringify(c.value);
      list.prepend(text('li', `#${c.position} ${c.projection} ${c.key} = ${value}`));
    }
    while (list.children.length > MAX_CHANGES) list.lastChild.remove();
  };

  const source = new EventSource('/events');
  source.addEventListener('sample', onSample);
  source.addEventListener('changes', onChanges);
  source.onerror = () => {
    $('ready').textContent = 'no connection';
    $('ready').className = 'not-ready';
  };
})();
