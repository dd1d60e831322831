// kartlegg's report page: renders the data embedded above it. No framework, no network: every
// string shown comes from the data blocks and is set as text (never parsed as HTML).
(() => {
  'use strict';
  const el = (id) => document.getElementById(id);
  const take = (id) => { const n = el(id); const v = JSON.parse(n.textContent); n.textContent = ''; return v; };
  const S = take('kl-strings');
  const M = take('kl-meta');
  const R = take('kl-rows');
  const D = new Map(take('kl-details'));
  const N = R.length;
  // Row fields (see report/html.rs).
  const DIR = 0, NAME = 1, SIZE = 2, MT = 3, OWN = 4, TYPE = 5, ST = 6, RS = 7, CNT = 8, CONF = 9, VD = 10, OD = 11;

  const t = (k, ...a) => {
    let s = S[k] ?? k;
    a.forEach((v, i) => { s = s.split('{' + i + '}').join(String(v)); });
    return s;
  };
  const kindName = (k) => S['kind_' + k] ?? k;
  const CONF_KEYS = ['', 'low', 'medium', 'high'];
  const confName = (c) => (c ? t('conf_' + CONF_KEYS[c]) : '');
  const verdictName = (v) => (v ? S['verdict_' + v] ?? v : '');
  const statusName = (i) => t('status_' + M.statuses[i]);
  const nf = new Intl.NumberFormat(M.lang === 'nb' ? 'nb-NO' : 'en-GB');
  const num = (n) => (n === null || n === undefined ? '' : nf.format(n));
  const fmtSize = (b) => {
    if (b === null || b < 0) return '';
    const u = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
    let i = 0; let v = b;
    while (v >= 1024 && i < u.length - 1) { v /= 1024; i++; }
    return (i ? v.toFixed(1) : String(v)) + ' ' + u[i];
  };
  const iso = (secs) => new Date(secs * 1000).toISOString();
  const fmtTime = (secs) => (secs === null ? '' : iso(secs).slice(0, 16).replace('T', ' '));

  // Element builder: text only, so nothing from the inventory is ever parsed as markup.
  const h = (tag, attrs, ...kids) => {
    const e = document.createElement(tag);
    if (attrs) for (const [k, v] of Object.entries(attrs)) {
      if (v === null || v === undefined || v === false) continue;
      if (k === 'onclick' || k === 'oninput' || k === 'onchange') e.addEventListener(k.slice(2), v);
      else if (k === 'class') e.className = v;
      else e.setAttribute(k, v === true ? '' : v);
    }
    for (const c of kids.flat()) if (c !== null && c !== undefined) e.append(c instanceof Node ? c : String(c));
    return e;
  };
  const table = (heads, rows, attrs) => h('table', attrs,
    h('thead', null, h('tr', null, heads.map((x) => (x instanceof Node ? x : h('th', null, x))))),
    h('tbody', null, rows));

  // Folders and paths.
  const dirs = M.dirs; // [parent, name, files, with findings, findings, overdue, unscanned, bytes]
  const dirPaths = new Array(dirs.length);
  const dirPath = (i) => {
    if (i < 0) return null;
    let p = dirPaths[i];
    if (p === undefined) {
      const d = dirs[i];
      p = d[0] < 0 ? d[1] : dirPath(d[0]) + '/' + d[1];
      dirPaths[i] = p;
    }
    return p;
  };
  const showDir = (p) => (p === '' ? '/' : p);
  const pathOf = (r) => { const d = dirPath(R[r][DIR]); return d === null ? R[r][NAME] : d + '/' + R[r][NAME]; };
  // Paths in the table are shown below their scan root (the full path is the cell's title).
  const roots = (M.roots || []).map((x) => x.replace(/\/+$/, '')).sort((a, b) => b.length - a.length);
  const shortPath = (p) => { for (const x of roots) if (p.startsWith(x + '/')) return p.slice(x.length + 1); return p; };
  let PATHS = null;
  const paths = () => {
    if (!PATHS) { PATHS = new Array(N); for (let r = 0; r < N; r++) PATHS[r] = pathOf(r); }
    return PATHS;
  };

  // Per-row totals and what the filters offer.
  const TOT = new Float64Array(N);
  const kindsSeen = new Set(); const verdictsSeen = new Set(); const ownersSeen = new Set();
  const unscannedRows = [];
  for (let r = 0; r < N; r++) {
    const row = R[r]; const c = row[CNT]; let n = 0;
    if (c) for (let i = 0; i < c.length; i += 2) { n += c[i + 1]; kindsSeen.add(c[i]); }
    TOT[r] = n;
    if (row[VD] >= 0) verdictsSeen.add(row[VD]);
    if (row[OWN] >= 0) ownersSeen.add(row[OWN]);
    if (row[ST] !== 0) unscannedRows.push(r);
  }
  const kindCols = [...kindsSeen].sort((a, b) => a - b);
  const countOf = (r, k) => {
    const c = R[r][CNT];
    if (c) for (let i = 0; i < c.length; i += 2) if (c[i] === k) return c[i + 1];
    return 0;
  };

  // Decisions: those in the inventory (or given to `report --decisions`), and those set here.
  const DEC = new Map(); const STALE = new Set(); const ORPHANS = [];
  for (const d of M.decisions) {
    const e = Object.assign({ path: d.path }, d.d);
    if (d.row === null || d.row === undefined) ORPHANS.push(e);
    else { DEC.set(d.row, e); if (d.stale) STALE.add(d.row); }
  }
  let changed = 0; let exported = 0; let reviewer = '';
  const today = () => { const d = new Date(); const p = (n) => String(n).padStart(2, '0'); return d.getFullYear() + '-' + p(d.getMonth() + 1) + '-' + p(d.getDate()); };
  // Judged on the day the inventory describes (its --as-of), as the scan judged it.
  const expired = (e) => e.decision === 'keep' && e.until && e.until < (M.as_of || today());

  // Header lines.
  el('scan-line').textContent = t('scan_of') + ' ' + (M.roots || []).join(', ') + ' — ' + t('started') + ' ' + (M.started || '') +
    (M.finished ? ', ' + t('finished') + ' ' + M.finished : '');
  const notes = el('notes');
  notes.append(h('span', null, M.key === 'provided' ? t('key_provided') : t('key_random')));
  if (M.reveal) notes.append(' ', h('span', { class: 'warn' }, t('revealed')));
  if (M.computed) notes.append(' ', h('span', { class: 'warn' }, t('no_summary')));
  if (M.details.left_out > 0) notes.append(' ', h('span', { class: 'warn', id: 'details-capped' },
    t('details_capped', num(M.details.files), num(M.details.files + M.details.left_out), M.details.cap_mib)));

  // Tabs.
  const views = ['overview', 'folders', 'files', 'unscanned', 'decisions'];
  const rendered = new Set();
  const render = { overview: renderOverview, folders: renderFolders, files: renderFiles, unscanned: renderUnscanned, decisions: renderDecisions };
  const tabs = el('tabs');
  for (const v of views) tabs.append(h('button', { role: 'tab', id: 'tab-' + v, 'aria-selected': 'false', onclick: () => show(v) }, t('tab_' + v)));
  function show(v) {
    for (const w of views) {
      el('view-' + w).hidden = w !== v;
      el('tab-' + w).setAttribute('aria-selected', String(w === v));
    }
    if (!rendered.has(v) || v === 'decisions') { rendered.add(v); render[v](); }
  }

  function kv(rows, id) {
    return table([t('col_what'), h('th', { class: 'num' }, t('col_count'))],
      rows.map(([k, v, key]) => h('tr', null, h('td', null, k), h('td', { class: 'num', id: key ? id + '-' + key : null }, num(v)))));
  }

  function renderOverview() {
    const s = M.summary; const v = el('view-overview'); v.replaceChildren();
    const unscanned = Object.values(s.unscanned_by_reason || {}).reduce((a, b) => a + b, 0);
    const distinct = Object.values(s.distinct_by_kind || {}).reduce((a, b) => a + b, 0);
    const card = (id, n, l) => h('div', { class: 'card' }, h('div', { class: 'n', id: 'ov-' + id }, num(n)), h('div', { class: 'l' }, l));
    v.append(h('div', { class: 'cards' },
      card('files_seen', s.files_seen, t('files_seen')),
      card('files_scanned', s.files_scanned, t('files_scanned')),
      card('files_unscanned', unscanned, t('files_unscanned')),
      card('files_with_findings', s.files_with_findings, t('files_with_findings')),
      card('findings', s.findings, t('findings')),
      card('distinct', distinct, t('distinct'))));
    const grid = h('div', { class: 'grid' });
    const kinds = Object.keys(s.findings_by_kind || {});
    grid.append(h('div', null, h('h2', null, t('by_kind')),
      table([t('col_kind'), h('th', { class: 'num' }, t('findings')), h('th', { class: 'num' }, t('distinct'))],
        kinds.map((k) => h('tr', null, h('td', null, kindName(k)),
          h('td', { class: 'num', id: 'ov-kind-' + k }, num(s.findings_by_kind[k])),
          h('td', { class: 'num' }, num((s.distinct_by_kind || {})[k] || 0)))))));
    grid.append(h('div', null, h('h2', null, t('by_confidence')),
      kv(['high', 'medium', 'low'].filter((c) => (s.findings_by_confidence || {})[c])
        .map((c) => [t('conf_' + c), s.findings_by_confidence[c], c]), 'ov-conf'),
      h('p', { class: 'muted' }, t('synthetic') + ': ' + num(s.synthetic || 0) + '. ' + t('synthetic_note'))));
    grid.append(h('div', null, h('h2', null, t('files_unscanned') + ' — ' + t('by_reason')),
      unscanned ? kv(Object.entries(s.unscanned_by_reason).map(([k, n]) => [k, n, k.replace('/', '-')]), 'ov-reason')
        : h('p', null, t('unscanned_none'))));
    const pol = Object.entries(M.policies);
    if (pol.length) {
      grid.append(h('div', null, h('h2', null, t('retention') + ' — ' + t('by_policy')),
        table([t('col_policy'), h('th', { class: 'num' }, t('col_files')), h('th', { class: 'num' }, t('verdict_overdue')),
          h('th', { class: 'num' }, t('verdict_due')), h('th', { class: 'num' }, t('col_findings_overdue')), h('th', { class: 'num' }, t('col_bytes'))],
        pol.map(([p, f]) => h('tr', null, h('td', null, f.by_verdict ? S['verdict_' + p] ?? p : p), h('td', { class: 'num' }, num(f.files)),
          h('td', { class: 'num v-overdue' }, num(f.overdue)), h('td', { class: 'num' }, num(f.due)),
          h('td', { class: 'num' }, num(f.findings_overdue)), h('td', { class: 'num' }, fmtSize(f.bytes)))))));
    }
    if (s.decisions) {
      const d = s.decisions;
      grid.append(h('div', null, h('h2', null, t('decisions_summary')),
        kv([[t('decided'), d.decided, 'decided'], [t('undecided'), d.undecided, 'undecided'], [t('stale'), d.stale, 'stale'],
          [t('keep_expired'), d.keep_expired, 'keep_expired']], 'ov-dec')));
    }
    v.append(grid);
    v.append(h('p', { class: 'muted' }, t('generated', M.version)));
  }

  // The folder tree: children listed when their folder is expanded.
  const kids = dirs.map(() => []); const tops = [];
  dirs.forEach((d, i) => (d[0] < 0 ? tops : kids[d[0]]).push(i));
  const byName = (a, b) => (dirs[a][1] < dirs[b][1] ? -1 : dirs[a][1] > dirs[b][1] ? 1 : 0);
  kids.forEach((k) => k.sort(byName)); tops.sort(byName);
  const open = new Set();
  // Open the chain of single folders at the top, down to the first that branches.
  for (let at = tops; at.length === 1; at = kids[at[0]]) open.add(at[0]);

  function renderFolders() {
    const v = el('view-folders'); v.replaceChildren();
    const body = h('tbody');
    const add = (i, depth) => {
      const d = dirs[i]; const has = kids[i].length > 0; const isOpen = open.has(i);
      body.append(h('tr', { 'data-dir': i, 'data-path': showDir(dirPath(i)) },
        h('td', { style: 'padding-left:' + (8 + depth * 18) + 'px' },
          has ? h('button', { class: 'toggle', 'aria-expanded': String(isOpen), title: isOpen ? t('collapse') : t('expand'),
            onclick: () => { if (isOpen) open.delete(i); else open.add(i); renderFolders(); } }, isOpen ? '▾' : '▸') : h('span', { class: 'toggle' }, ' '),
          h('a', { class: 'file', title: t('show_files'), onclick: () => { filt.dir = i; show('files'); refilter(); } }, d[1] === '' ? '/' : d[1])),
        h('td', { class: 'num', 'data-k': 'files' }, num(d[2])), h('td', { class: 'num', 'data-k': 'with_findings' }, num(d[3])),
        h('td', { class: 'num', 'data-k': 'findings' }, num(d[4])), h('td', { class: 'num v-overdue', 'data-k': 'overdue' }, d[5] ? num(d[5]) : ''),
        h('td', { class: 'num', 'data-k': 'unscanned' }, d[6] ? num(d[6]) : ''), h('td', { class: 'num' }, fmtSize(d[7]))));
      if (isOpen) for (const k of kids[i]) add(k, depth + 1);
    };
    for (const i of tops) add(i, 0);
    v.append(h('table', { class: 'tree', id: 'tree' },
      h('thead', null, h('tr', null, h('th', null, t('col_folder')), h('th', { class: 'num' }, t('col_files')),
        h('th', { class: 'num' }, t('col_with_findings')), h('th', { class: 'num' }, t('col_findings')),
        h('th', { class: 'num' }, t('verdict_overdue')), h('th', { class: 'num' }, t('col_unscanned')), h('th', { class: 'num' }, t('col_bytes')))),
      body));
  }

  // The file table: filters, sort, pages.
  const PAGE = 100;
  const filt = { kind: -1, verdict: -1, owner: -1, conf: 0, q: '', only: kindCols.length > 0, dir: -1 };
  const sort = { col: 'findings', desc: true };
  let view = new Int32Array(0); let page = 0;
  const DEC_ORDER = ['delete', 'deleted', 'anonymised', 'keep', 'false_positive'];
  const columns = () => [
    { id: 'path', label: t('col_path'), key: () => paths() , str: true },
    { id: 'owner', label: t('col_owner'), key: () => { const a = new Array(N); for (let r = 0; r < N; r++) a[r] = R[r][OWN] >= 0 ? M.owners[R[r][OWN]] : ''; return a; }, str: true },
    { id: 'modified', label: t('col_modified'), num: (r) => R[r][MT] ?? -1e15 },
    { id: 'size', label: t('col_size'), num: (r) => R[r][SIZE], cls: 'num' },
    ...kindCols.map((k) => ({ id: 'kind-' + M.kinds[k], label: kindName(M.kinds[k]), num: (r) => countOf(r, k), cls: 'num' })),
    { id: 'findings', label: t('col_findings'), num: (r) => TOT[r], cls: 'num' },
    { id: 'confidence', label: t('col_confidence'), num: (r) => R[r][CONF] },
    { id: 'verdict', label: t('col_verdict'), num: (r) => R[r][VD] },
    { id: 'overdue', label: t('col_overdue'), num: (r) => R[r][OD] ?? -1e15, cls: 'num' },
    { id: 'decision', label: t('col_decision'), num: (r) => (DEC.has(r) ? DEC_ORDER.indexOf(DEC.get(r).decision) + 1 : 0) },
  ];
  let COLS = null;

  function refilter() {
    const out = new Int32Array(N); let n = 0;
    const q = filt.q.toLowerCase(); const P = q ? paths() : null;
    let under = null;
    if (filt.dir >= 0) {
      under = new Uint8Array(dirs.length);
      for (let i = 0; i < dirs.length; i++) under[i] = i === filt.dir || (dirs[i][0] >= 0 && under[dirs[i][0]]) ? 1 : 0;
    }
    for (let r = 0; r < N; r++) {
      const row = R[r];
      if (filt.only && TOT[r] === 0) continue;
      if (filt.kind >= 0 && !countOf(r, filt.kind)) continue;
      if (filt.verdict >= 0 && row[VD] !== filt.verdict) continue;
      if (filt.owner >= 0 && row[OWN] !== filt.owner) continue;
      if (filt.conf > 0 && row[CONF] < filt.conf) continue;
      if (under && (row[DIR] < 0 || !under[row[DIR]])) continue;
      if (q && P[r].toLowerCase().indexOf(q) < 0) continue;
      out[n++] = r;
    }
    view = out.slice(0, n);
    resort();
  }

  function resort() {
    const c = COLS.find((x) => x.id === sort.col);
    const dir = sort.desc ? -1 : 1;
    if (c.str) {
      const k = c.key();
      view.sort((a, b) => (k[a] < k[b] ? -dir : k[a] > k[b] ? dir : a - b));
    } else {
      const k = new Float64Array(N);
      for (const r of view) k[r] = c.num(r);
      view.sort((a, b) => (k[a] - k[b]) * dir || a - b);
    }
    page = 0;
    drawTable();
  }

  function select(id, label, options, value, set) {
    return h('label', null, label, h('select', { id, onchange: (e) => { set(Number(e.target.value)); refilter(); } },
      options.map(([v, l]) => { const o = h('option', { value: v }, l); if (v === value) o.selected = true; return o; })));
  }

  function renderFiles() {
    COLS = columns();
    const v = el('view-files'); v.replaceChildren();
    let timer = 0;
    v.append(h('div', { class: 'filters' },
      select('f-kind', t('col_kind'), [[-1, t('filter_all')], ...kindCols.map((k) => [k, kindName(M.kinds[k])])], filt.kind, (x) => { filt.kind = x; }),
      select('f-verdict', t('col_verdict'), [[-1, t('filter_all')], ...[...verdictsSeen].map((i) => [i, verdictName(M.verdicts[i])])], filt.verdict, (x) => { filt.verdict = x; }),
      select('f-owner', t('col_owner'), [[-1, t('filter_all')], ...[...ownersSeen].sort((a, b) => (M.owners[a] < M.owners[b] ? -1 : 1)).map((i) => [i, M.owners[i]])], filt.owner, (x) => { filt.owner = x; }),
      select('f-conf', t('col_confidence') + ' (' + t('filter_min_confidence').toLowerCase() + ')', [[0, t('filter_all')], [1, t('conf_low')], [2, t('conf_medium')], [3, t('conf_high')]], filt.conf, (x) => { filt.conf = x; }),
      h('label', null, t('search_path'), h('input', { type: 'search', id: 'f-path', value: filt.q,
        oninput: (e) => { clearTimeout(timer); timer = setTimeout(() => { filt.q = e.target.value; refilter(); }, 200); } })),
      h('label', { class: 'check' }, h('span', null, t('only_findings')), (() => {
        const c = h('input', { type: 'checkbox', id: 'f-only', onchange: (e) => { filt.only = e.target.checked; refilter(); } });
        c.checked = filt.only; return c;
      })()),
      h('span', { id: 'f-dir' })));
    v.append(h('div', { class: 'pager', id: 'pager' }));
    v.append(h('table', { id: 'files' }, h('thead', null, h('tr', null, COLS.map((c) => h('th', {
      class: 'sortable ' + (c.cls || ''), 'data-col': c.id, 'aria-sort': c.id === sort.col ? (sort.desc ? 'descending' : 'ascending') : 'none',
      onclick: () => { sort.desc = sort.col === c.id ? !sort.desc : c.id !== 'path' && c.id !== 'owner'; sort.col = c.id; drawHead(); resort(); },
    }, c.label)))), h('tbody')));
    v.append(h('p', { class: 'muted' }, t('sort_hint')));
    refilter();
  }

  function drawHead() {
    for (const th of document.querySelectorAll('#files th')) {
      th.setAttribute('aria-sort', th.dataset.col === sort.col ? (sort.desc ? 'descending' : 'ascending') : 'none');
    }
  }

  function decisionText(r) {
    const e = DEC.get(r); if (!e) return '';
    return t('decision_' + e.decision) + (STALE.has(r) ? ' ⚠' : expired(e) ? ' ⌛' : '');
  }

  function drawTable() {
    const pages = Math.max(1, Math.ceil(view.length / PAGE));
    const fd = el('f-dir'); fd.replaceChildren();
    if (filt.dir >= 0) fd.append(t('folder_filter', showDir(dirPath(filt.dir))), ' ',
      h('button', { id: 'f-dir-clear', onclick: () => { filt.dir = -1; refilter(); } }, t('clear_folder')));
    el('pager').replaceChildren(
      h('span', { id: 'files-count' }, t('n_files', num(view.length))),
      h('button', { id: 'page-prev', disabled: page === 0, onclick: () => { page--; drawTable(); } }, t('page_prev')),
      h('span', { id: 'page-of' }, t('page_of', page + 1, pages)),
      h('button', { id: 'page-next', disabled: page + 1 >= pages, onclick: () => { page++; drawTable(); } }, t('page_next')));
    const body = document.querySelector('#files tbody');
    const rows = [];
    for (let i = page * PAGE; i < Math.min(view.length, (page + 1) * PAGE); i++) {
      const r = view[i]; const row = R[r];
      rows.push(h('tr', { 'data-row': r },
        h('td', { class: 'path', title: pathOf(r) }, h('a', { class: 'file', onclick: () => openDetail(r) }, shortPath(pathOf(r)))),
        h('td', null, row[OWN] >= 0 ? M.owners[row[OWN]] : ''),
        h('td', null, fmtTime(row[MT])),
        h('td', { class: 'num', title: row[SIZE] >= 0 ? num(row[SIZE]) + ' B' : null }, fmtSize(row[SIZE])),
        kindCols.map((k) => h('td', { class: 'num' }, countOf(r, k) ? num(countOf(r, k)) : '')),
        h('td', { class: 'num', 'data-k': 'findings' }, TOT[r] ? num(TOT[r]) : ''),
        h('td', { class: 'conf-' + CONF_KEYS[row[CONF]] }, confName(row[CONF])),
        h('td', { class: row[VD] >= 0 ? 'v-' + M.verdicts[row[VD]] : null }, row[VD] >= 0 ? verdictName(M.verdicts[row[VD]]) : ''),
        h('td', { class: 'num' }, row[OD] ?? ''),
        h('td', { 'data-k': 'decision' }, decisionText(r))));
    }
    if (!rows.length) rows.push(h('tr', null, h('td', { colspan: COLS.length }, t('no_rows'))));
    body.replaceChildren(...rows);
  }

  // The unscanned ledger.
  let upage = 0;
  function renderUnscanned() {
    const v = el('view-unscanned'); v.replaceChildren();
    const s = M.summary.unscanned_by_reason || {};
    if (!unscannedRows.length) { v.append(h('p', null, t('unscanned_none'))); return; }
    v.append(h('h2', null, t('by_reason')), kv(Object.entries(s).map(([k, n]) => [k, n]), 'un'));
    const pages = Math.ceil(unscannedRows.length / PAGE);
    v.append(h('div', { class: 'pager' },
      h('span', { id: 'unscanned-count' }, t('n_files', num(unscannedRows.length))),
      h('button', { disabled: upage === 0, onclick: () => { upage--; renderUnscanned(); } }, t('page_prev')),
      h('span', null, t('page_of', upage + 1, pages)),
      h('button', { disabled: upage + 1 >= pages, onclick: () => { upage++; renderUnscanned(); } }, t('page_next'))));
    const rows = unscannedRows.slice(upage * PAGE, (upage + 1) * PAGE).map((r) => {
      const row = R[r]; const d = D.get(r);
      return h('tr', { 'data-row': r }, h('td', { class: 'path' }, h('a', { class: 'file', onclick: () => openDetail(r) }, pathOf(r))),
        h('td', null, statusName(row[ST])), h('td', null, row[RS] >= 0 ? M.reasons[row[RS]] : ''),
        h('td', null, d && d.d ? d.d : ''), h('td', { class: 'num' }, fmtSize(row[SIZE])), h('td', null, fmtTime(row[MT])));
    });
    v.append(table([t('col_path'), t('col_status'), t('col_reason'), t('col_detail'), t('col_size'), t('col_modified')], rows, { id: 'unscanned' }));
  }

  // Decisions: the list, and the download of the decisions file.
  function entries() {
    const all = [...ORPHANS, ...DEC.values()];
    all.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    return all;
  }
  function exportDecisions() {
    const doc = { schema_version: '1.0', decisions: entries() };
    const blob = new Blob([JSON.stringify(doc, null, 2) + '\n'], { type: 'application/json' });
    const a = h('a', { href: URL.createObjectURL(blob), download: 'kartlegg-decisions.json' });
    document.body.append(a); a.click(); a.remove();
    exported = changed;
    renderDecisionsCount();
  }
  function renderDecisionsCount() {
    const c = el('dec-count'); if (c) c.textContent = t('decisions_count', num(DEC.size + ORPHANS.length), num(changed));
  }
  function renderDecisions() {
    const v = el('view-decisions'); v.replaceChildren();
    v.append(h('p', null, t('decisions_help')), h('p', { id: 'dec-count' }),
      h('button', { id: 'export', onclick: exportDecisions }, t('decision_export')));
    renderDecisionsCount();
    const rows = entries().map((e) => h('tr', null, h('td', { class: 'path' }, e.path), h('td', null, t('decision_' + e.decision)),
      h('td', null, e.until || ''), h('td', null, e.reason || ''), h('td', null, e.reviewer), h('td', null, e.date), h('td', null, e.note || '')));
    v.append(table([t('col_path'), t('col_decision'), t('col_until'), t('col_decision_reason'), t('col_reviewer'), t('col_decision_date'), t('col_note')], rows, { id: 'decisions' }));
  }
  window.addEventListener('beforeunload', (e) => { if (changed > exported) { e.preventDefault(); e.returnValue = t('unsaved'); } });

  // The detail of one file.
  function openDetail(r) {
    const row = R[r]; const d = D.get(r) || null; const p = pathOf(r);
    const a = el('detail'); a.replaceChildren(); a.hidden = false; a.dataset.row = r;
    a.append(h('button', { id: 'detail-close', onclick: () => { a.hidden = true; } }, t('detail_close')), h('h2', null, p));
    const dl = h('dl');
    const item = (k, v) => { if (v !== '' && v !== null && v !== undefined) dl.append(h('dt', null, k), h('dd', null, v)); };
    item(t('col_type'), M.types[row[TYPE]]);
    item(t('col_status'), statusName(row[ST]) + (row[RS] >= 0 ? ' (' + M.reasons[row[RS]] + ')' : ''));
    if (d) item(t('col_detail'), d.d);
    item(t('col_size'), row[SIZE] >= 0 ? num(row[SIZE]) + ' B' : '');
    item(t('col_modified'), fmtTime(row[MT]));
    item(t('col_owner'), row[OWN] >= 0 ? M.owners[row[OWN]] : '');
    if (d) item(t('col_content_hash'), d.h);
    item(t('col_findings'), TOT[r] ? kindCols.filter((k) => countOf(r, k)).map((k) => kindName(M.kinds[k]) + ' ' + num(countOf(r, k))).join(', ') : '');
    a.append(dl);
    if (d && d.r) a.append(h('h2', null, t('retention')), retention(d.r));
    if (TOT[r] || (d && d.f)) {
      a.append(h('h2', null, t('findings')));
      if (!d) a.append(h('p', { class: 'warn' }, t('detail_missing')));
      else if (!d.f || !d.f.length) a.append(h('p', null, t('no_findings')));
      else {
        if (d.t) a.append(h('p', { class: 'muted' }, t('findings_truncated')));
        if (d.n > d.f.length) a.append(h('p', { class: 'muted' }, t('findings_cut', num(d.f.length), num(d.n))));
        const heads = [t('col_kind'), t('col_confidence'), t('col_location'), t('col_masked')];
        if (M.reveal) heads.push(t('col_value'), t('col_context'));
        heads.push(t('col_flags'), t('col_date'), t('col_fingerprint'));
        a.append(table(heads, d.f.map((f) => h('tr', null, h('td', null, kindName(M.kinds[f[0]])),
          h('td', { class: 'conf-' + CONF_KEYS[f[1]] }, confName(f[1])), h('td', null, f[2]), h('td', { class: 'mono' }, f[3]),
          M.reveal ? [h('td', { class: 'mono' }, f[7] ?? ''), h('td', { class: 'mono' }, f[8] ?? '')] : null,
          h('td', null, f[5]), h('td', null, f[6] ?? ''), h('td', { class: 'mono', title: f[4] }, f[4].slice(12, 20)))), { id: 'findings' }));
      }
    }
    if (d && d.c) {
      a.append(h('h2', null, t('columns')), table([t('col_table'), t('col_column'), h('th', { class: 'num' }, t('col_values')),
        h('th', { class: 'num' }, t('col_matched')), h('th', { class: 'num' }, t('col_share')), t('col_findings')],
      d.c.map((c) => h('tr', null, h('td', null, c[0] ?? ''), h('td', null, c[1]), h('td', { class: 'num' }, num(c[2])),
        h('td', { class: 'num' }, num(c[3])), h('td', { class: 'num' }, (c[4] * 100).toFixed(1) + ' %'),
        h('td', null, Object.entries(c[5]).map(([k, n]) => kindName(k) + ' ' + num(n)).join(', '))))));
    }
    a.append(h('h2', null, t('col_decision')), decisionForm(r, p, d));
  }

  function retention(x) {
    const box = h('div', { id: 'retention' });
    if (x.verdict === 'no_policy' || !x.policy) box.append(h('p', null, t('ret_no_policy')));
    else box.append(h('p', null, t('ret_reasoning', x.policy, t('from_' + (x.from || 'modified')), x.date || '?', x.keep_until || '?')));
    box.append(h('p', { class: 'v-' + x.verdict }, verdictName(x.verdict)));
    if (x.overdue_days || x.findings_overdue) box.append(h('p', null, t('ret_overdue', num(x.overdue_days || 0), num(x.findings_overdue || 0))));
    if (x.oldest || x.newest) box.append(h('p', null, t('ret_span', x.oldest || '?', x.newest || '?')));
    if (x.findings_undated) box.append(h('p', null, t('ret_undated', num(x.findings_undated))));
    if (x.fallback === 'modified' || x.fallback === 'unknown') box.append(h('p', null, t('ret_fallback_' + x.fallback)));
    return box;
  }

  function decisionForm(r, p, d) {
    const row = R[r]; const cur = DEC.get(r);
    const box = h('div', { id: 'decision' });
    if (cur) {
      box.append(h('p', { id: 'd-current' }, t('decision_' + cur.decision) + (cur.until ? ' → ' + cur.until : '') + ' ' +
        t('decision_by', cur.reviewer, cur.date) + (cur.reason ? ': ' + cur.reason : '') + (cur.note ? ' — ' + cur.note : '')));
      if (STALE.has(r)) box.append(h('p', { class: 'stale' }, t('decision_stale')));
      else if (expired(cur)) box.append(h('p', { class: 'stale' }, t('decision_expired')));
    }
    const sel = h('select', { id: 'd-decision' }, DEC_ORDER.map((k) => h('option', { value: k }, t('decision_' + k))));
    if (cur) sel.value = cur.decision;
    const input = (id, type, value) => h('input', { id, type, value: value || '' });
    const until = input('d-until', 'date', cur && cur.until); const reason = input('d-reason', 'text', cur && cur.reason);
    const who = input('d-reviewer', 'text', reviewer || (cur && cur.reviewer)); const note = input('d-note', 'text', cur && cur.note);
    const msg = h('p', { class: 'msg', id: 'd-msg' });
    const save = () => {
      const e = { path: p, decision: sel.value, reviewer: who.value.trim(), date: today() };
      if (!e.reviewer) { msg.textContent = t('decision_needs_reviewer'); return; }
      if (e.decision === 'keep') {
        if (!until.value || !reason.value.trim()) { msg.textContent = t('decision_keep_needs'); return; }
        e.until = until.value; e.reason = reason.value.trim();
      } else if (reason.value.trim()) e.reason = reason.value.trim();
      if (note.value.trim()) e.note = note.value.trim();
      if (d && d.h) e.content_hash = d.h;
      if (row[SIZE] >= 0) e.size = row[SIZE];
      if (row[MT] !== null) e.modified = iso(row[MT]).replace('.000Z', 'Z');
      reviewer = e.reviewer;
      DEC.set(r, e); STALE.delete(r); changed++;
      openDetail(r); el('d-msg').textContent = t('decision_saved');
      if (rendered.has('files')) drawTable();
    };
    const remove = () => { DEC.delete(r); STALE.delete(r); changed++; openDetail(r); if (rendered.has('files')) drawTable(); };
    box.append(h('div', { class: 'form' },
      h('label', { for: 'd-decision' }, t('col_decision')), sel,
      h('label', { for: 'd-until' }, t('col_until')), until,
      h('label', { for: 'd-reason' }, t('col_decision_reason')), reason,
      h('label', { for: 'd-reviewer' }, t('col_reviewer')), who,
      h('label', { for: 'd-note' }, t('col_note')), note,
      h('span'), h('span', null, h('button', { id: 'd-save', onclick: save }, t('decision_save')), ' ',
        cur ? h('button', { id: 'd-remove', onclick: remove }, t('decision_remove')) : null)), msg);
    return box;
  }
  document.addEventListener('keydown', (e) => { if (e.key === 'Escape') el('detail').hidden = true; });

  show('overview');
  document.body.dataset.ready = '1';
})();
