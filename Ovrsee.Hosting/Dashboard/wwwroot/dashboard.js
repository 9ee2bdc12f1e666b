'use strict';
// The Ovrsee dashboard: plain DOM, no build step. Each view polls the AppHost's JSON API;
// text from services is only ever set as textContent, never parsed as HTML.

const view = document.getElementById('view');
let generation = 0;   // bumped on every navigation, so a poll for an old view drops its answer
let timer = null;

function h(tag, attributes, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes ?? {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith('on')) element.addEventListener(name.slice(2), value);
    else if (name === 'class') element.className = value;
    else element.setAttribute(name, value);
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

async function getJson(url) {
  const response = await fetch(url, { cache: 'no-store' });
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return response.json();
}

// Runs fn now and then every ms until the user navigates away; shows when the AppHost is gone.
function every(ms, fn) {
  const mine = generation;
  const tick = async () => {
    if (mine !== generation) return;
    try {
      await fn(mine);
      setConnection('');
    } catch (error) {
      setConnection('AppHost not reachable: ' + error.message);
    }
    if (mine === generation) timer = setTimeout(tick, ms);
  };
  tick();
}

function setConnection(text) { document.getElementById('connection').textContent = text; }

const time = nanos => {
  const date = new Date(nanos / 1e6);
  return date.toLocaleTimeString([], { hour12: false }) + '.' + String(date.getMilliseconds()).padStart(3, '0');
};
const ms = value => value < 1 ? value.toFixed(2) + ' ms' : value < 1000 ? value.toFixed(1) + ' ms' : (value / 1000).toFixed(2) + ' s';
const badge = (text, cls) => h('span', { class: `badge ${cls ?? text}` }, text);

// ---------------------------------------------------------------- resources
function resourcesView() {
  const body = h('tbody');
  view.replaceChildren(h('h2', null, 'Resources'), h('table', null,
    h('thead', null, h('tr', null, ['Name', 'Type', 'State', 'Health', 'Endpoints', 'Waits for', 'PID', 'Details'].map(t => h('th', null, t)))),
    body));
  every(1000, async mine => {
    const resources = await getJson('api/resources');
    const failures = await Promise.all(resources.map(r => r.state === 'Failed'
      ? getJson(`api/resources/${encodeURIComponent(r.name)}/console`).catch(() => []) : null));
    if (mine !== generation) return;
    body.replaceChildren(...resources.flatMap((r, i) => {
      const row = h('tr', { 'data-resource': r.name },
        h('td', null, h('strong', null, r.name)),
        h('td', { class: 'muted' }, r.type),
        h('td', { 'data-state': r.state }, badge(r.state === 'Running' ? 'running' : r.status, r.status),
          r.exitCode !== null ? h('span', { class: 'muted', 'data-exit-code': r.exitCode }, ` exit code ${r.exitCode}`) : null),
        h('td', { 'data-health': r.health }, r.health === 'Unknown' ? h('span', { class: 'muted' }, '—') : badge(r.health)),
        h('td', null, r.endpoints.map(e => h('div', null, e.startsWith('http') ? h('a', { href: e, target: '_blank' }, e) : e))),
        h('td', { class: 'muted' }, r.waitsFor.join(', ')),
        h('td', { class: 'muted' }, r.pid ?? ''),
        h('td', null, r.error ? h('div', null, r.error.split('\n')[0]) : null, h('a', { href: `#/console/${encodeURIComponent(r.name)}` }, 'console')));
      if (!failures[i]) return [row];
      const lastLines = failures[i].slice(-15).map(l => l.text).join('\n');
      return [row, h('tr', { class: 'failure', 'data-failure': r.name }, h('td', { colspan: 8 },
        h('div', { class: 'muted' }, `${r.name} failed${r.exitCode !== null ? ` with exit code ${r.exitCode}` : ''}. Last output:`),
        h('pre', null, lastLines)))];
    }));
  });
}

// ---------------------------------------------------------------- console
async function consoleView(name) {
  const resources = await getJson('api/resources');
  name = name || resources.find(r => r.type === 'project')?.name || resources[0]?.name;
  const picker = h('select', { onchange: e => { location.hash = '#/console/' + encodeURIComponent(e.target.value); } },
    resources.map(r => h('option', { value: r.name, selected: r.name === name }, r.name)));
  const output = h('pre', { class: 'console', 'data-console': name });
  view.replaceChildren(h('h2', null, 'Console'), h('div', { class: 'filters' }, 'Resource', picker), output);
  let last = 0;
  every(1000, async mine => {
    const lines = await getJson(`api/resources/${encodeURIComponent(name)}/console?after=${last}`);
    if (mine !== generation || lines.length === 0) return;
    const atBottom = output.scrollTop + output.clientHeight >= output.scrollHeight - 20;
    output.append(lines.map(l => l.text).join('\n') + '\n');
    last = lines[lines.length - 1].sequence;
    if (atBottom) output.scrollTop = output.scrollHeight;
  });
}

// ---------------------------------------------------------------- structured logs
const levels = ['Trace', 'Debug', 'Information', 'Warning', 'Error', 'Critical'];

async function logsView() {
  const resources = await getJson('api/resources');
  const level = h('select', { 'data-filter': 'level' }, levels.map(l => h('option', { value: l, selected: l === 'Information' }, l)));
  const service = h('select', { 'data-filter': 'service' }, h('option', { value: '' }, 'All services'),
    resources.filter(r => r.type === 'project').map(r => h('option', { value: r.name }, r.name)));
  const text = h('input', { type: 'search', placeholder: 'Filter text', 'data-filter': 'text' });
  const body = h('tbody');
  view.replaceChildren(h('h2', null, 'Structured logs'),
    h('div', { class: 'filters' }, 'Level ≥', level, service, text),
    h('table', null, h('thead', null, h('tr', null, ['Time', 'Level', 'Service', 'Category', 'Message'].map(t => h('th', null, t)))), body));

  let last = 0;
  let rows = [];
  const reset = () => { last = 0; rows = []; body.replaceChildren(); };
  level.onchange = service.onchange = reset;
  text.oninput = () => { for (const row of rows) row.hidden = !matches(row); };
  const matches = row => !text.value || row.textContent.toLowerCase().includes(text.value.toLowerCase());

  every(1000, async mine => {
    const query = `after=${last}&level=${level.value}&service=${encodeURIComponent(service.value)}`;
    const logs = await getJson('api/logs?' + query);
    if (mine !== generation || logs.length === 0) return;
    last = logs[logs.length - 1].sequence;
    for (const log of logs) {
      const details = h('tr', { hidden: true }, h('td', { colspan: 5 }, attributesTable(log.attributes, log.traceId)));
      const row = h('tr', { class: 'clickable', 'data-level': log.level, onclick: () => { details.hidden = !details.hidden; } },
        h('td', { class: 'muted' }, time(log.timeUnixNano)), h('td', null, badge(log.level)),
        h('td', null, log.service), h('td', { class: 'muted' }, log.category), h('td', null, h('pre', null, log.message)));
      row.hidden = !matches(row);
      rows.push(row);
      body.prepend(row, details);
    }
    while (rows.length > 2000) {  // keep the page light: drop the oldest row and its details
      const oldest = rows.shift();
      oldest.nextSibling?.remove();
      oldest.remove();
    }
  });
}

function attributesTable(attributes, traceId) {
  return h('table', { class: 'details' },
    traceId ? h('tr', null, h('td', null, 'trace'), h('td', null, h('a', { href: '#/traces/' + traceId }, traceId))) : null,
    attributes.map(a => h('tr', null, h('td', null, a.key), h('td', null, h('pre', null, a.value)))));
}

// ---------------------------------------------------------------- traces
function tracesView() {
  const body = h('tbody');
  view.replaceChildren(h('h2', null, 'Traces'), h('table', null,
    h('thead', null, h('tr', null, ['Time', 'Name', 'Services', 'Duration', 'Spans', ''].map(t => h('th', null, t)))), body));
  every(1000, async mine => {
    const traces = await getJson('api/traces');
    if (mine !== generation) return;
    body.replaceChildren(...traces.map(t => h('tr', {
      class: 'clickable', 'data-trace': t.traceId, 'data-name': t.name,
      onclick: () => { location.hash = '#/traces/' + t.traceId; },
    },
      h('td', { class: 'muted' }, time(t.startUnixNano)), h('td', null, t.name), h('td', null, t.services.join(', ')),
      h('td', null, ms(t.durationMs)), h('td', null, t.spanCount), h('td', null, t.hasError ? badge('error') : null))));
    if (traces.length === 0) body.append(h('tr', null, h('td', { colspan: 6, class: 'muted' },
      'No traces yet. Services send them here over OTLP; make a request (e.g. scripts/test-incoming-call.sh).')));
  });
}

const attribute = (span, ...keys) => span.attributes.find(a => keys.includes(a.key))?.value;

async function traceView(traceId) {
  const details = h('div');
  const body = h('tbody');
  const title = h('h2', null, 'Trace ', h('span', { class: 'muted' }, traceId));
  view.replaceChildren(h('div', null, h('a', { href: '#/traces' }, '← all traces')), title,
    h('table', { 'data-trace-detail': traceId }, h('thead', null, h('tr', null, ['Service', 'Span', 'Kind', 'Duration', 'Timeline'].map(t => h('th', null, t)))), body),
    details);
  every(2000, async mine => {
    const spans = await getJson('api/traces/' + encodeURIComponent(traceId));
    if (mine !== generation) return;
    const start = Math.min(...spans.map(s => s.startUnixNano));
    const total = Math.max(...spans.map(s => s.endUnixNano)) - start || 1;
    body.replaceChildren(...inTreeOrder(spans).map(({ span, depth }) => {
      const database = attribute(span, 'db.system.name', 'db.system');
      const statement = attribute(span, 'db.query.text', 'db.statement');
      const left = (span.startUnixNano - start) / total * 100;
      const width = (span.endUnixNano - span.startUnixNano) / total * 100;
      return h('tr', {
        class: 'clickable', 'data-span': span.spanId, 'data-span-kind': span.kind, 'data-service': span.service, 'data-db': database,
        onclick: () => details.replaceChildren(h('h2', null, span.name), attributesTable([
          { key: 'service', value: span.service }, { key: 'scope', value: span.scope }, { key: 'status', value: span.status + (span.statusMessage ? ': ' + span.statusMessage : '') },
          ...span.attributes, ...span.events.map(e => ({ key: 'event: ' + e.name, value: e.attributes.map(a => `${a.key}=${a.value}`).join('\n') })),
        ])),
      },
        h('td', null, span.service),
        h('td', { style: `padding-left: ${8 + depth * 16}px` }, database ? badge('SQL', 'sql') : null, ' ', span.name,
          statement ? h('pre', { class: 'muted statement', title: 'click the row for the whole statement' }, statement) : null),
        h('td', { class: 'muted' }, span.kind),
        h('td', null, ms(span.durationMs)),
        h('td', { class: 'bar-cell' }, h('div', { class: 'bar' },
          h('span', { class: span.status === 'error' ? 'error' : span.kind, style: `left: ${left}%; width: ${width}%` }))));
    }));
  });
}

// Parents before children, children in start order; spans whose parent has not arrived are roots.
function inTreeOrder(spans) {
  const ids = new Set(spans.map(s => s.spanId));
  const children = new Map();
  for (const span of spans) {
    const parent = span.parentSpanId && ids.has(span.parentSpanId) ? span.parentSpanId : null;
    if (!children.has(parent)) children.set(parent, []);
    children.get(parent).push(span);
  }
  const ordered = [];
  const visit = (parent, depth) => {
    for (const span of (children.get(parent) ?? []).sort((a, b) => a.startUnixNano - b.startUnixNano)) {
      ordered.push({ span, depth });
      visit(span.spanId, depth + 1);
    }
  };
  visit(null, 0);
  return ordered;
}

// ---------------------------------------------------------------- metrics
function metricsView() {
  const body = h('tbody');
  view.replaceChildren(h('h2', null, 'Metrics'), h('p', { class: 'muted' }, 'Latest export of each instrument, all attribute sets added up.'),
    h('table', null, h('thead', null, h('tr', null, ['Service', 'Name', 'Kind', 'Value', 'Unit', 'Description'].map(t => h('th', null, t)))), body));
  every(3000, async mine => {
    const metrics = await getJson('api/metrics');
    if (mine !== generation) return;
    body.replaceChildren(...metrics.map(m => h('tr', { 'data-metric': m.name },
      h('td', null, m.service), h('td', null, m.name), h('td', { class: 'muted' }, m.kind),
      h('td', null, m.count !== null ? `count ${m.count}, sum ${Number(m.value.toFixed(3))}` : Number(m.value.toFixed(3))),
      h('td', { class: 'muted' }, m.unit), h('td', { class: 'muted' }, m.description))));
  });
}

// ---------------------------------------------------------------- routing
const views = { resources: resourcesView, console: consoleView, logs: logsView, traces: tracesView, metrics: metricsView };

function route() {
  generation++;
  clearTimeout(timer);
  const [, tab = 'resources', argument = ''] = location.hash.split('/');
  for (const link of document.querySelectorAll('nav a')) link.classList.toggle('active', link.dataset.tab === tab);
  const render = tab === 'traces' && argument ? traceView : views[tab] ?? resourcesView;
  Promise.resolve(render(decodeURIComponent(argument))).catch(error => setConnection('AppHost not reachable: ' + error.message));
}

window.addEventListener('hashchange', route);
route();
