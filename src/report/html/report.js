// loftyscan HTML report: renders the findings table from the JSON block #data, with
// filters (rule, level, status, still at HEAD, path text, one key) and sorting. The URL
// fragment holds the filters (#status=live&path=src&sort=date&desc=1), so a link (or a
// test) opens the report filtered. Text is only ever set with textContent. `#bench=1`
// times a few filter changes and writes the times to <body data-filter-ms>.
(function () {
  'use strict';
  var t0 = performance.now();
  var D = JSON.parse(document.getElementById('data').textContent);
  var C = {};
  D.cols.forEach(function (name, i) { C[name] = i; });
  var rows = D.rows;
  var PAGE = 500;
  var lowerPath = rows.map(function (r) { return String(r[C.path]).toLowerCase(); });
  var byKey = {};
  rows.forEach(function (r, i) { (byKey[r[C.key]] = byKey[r[C.key]] || []).push(i); });
  var F = { rule: '', level: '', status: '', head: '', path: '', key: '', sort: '', desc: '' };
  var $ = function (id) { return document.getElementById(id); };
  var inputs = { rule: $('f-rule'), level: $('f-level'), status: $('f-status'), head: $('f-head'), path: $('f-path') };
  var shown = [];
  var limit = PAGE;

  function readHash() {
    var p = new URLSearchParams(location.hash.replace(/^#/, ''));
    Object.keys(F).forEach(function (k) { F[k] = p.get(k) || ''; });
    Object.keys(inputs).forEach(function (k) { inputs[k].value = F[k]; });
  }
  function writeHash() {
    var p = new URLSearchParams();
    Object.keys(F).forEach(function (k) { if (F[k]) { p.set(k, F[k]); } });
    var h = p.toString();
    try { history.replaceState(null, '', h ? '#' + h : location.pathname + location.search); } catch (e) { /* file:// quirks */ }
  }

  function matches(i) {
    var r = rows[i];
    if (F.rule && D.rules[r[C.rule]].id !== F.rule) { return false; }
    if (F.level && (r[C.level] ? 'error' : 'warning') !== F.level) { return false; }
    if (F.status && D.statuses[r[C.status]].id !== F.status) { return false; }
    if (F.head === 'yes' && r[C.head] !== 1) { return false; }
    if (F.head === 'no' && r[C.head] !== 0) { return false; }
    if (F.key !== '' && String(r[C.key]) !== F.key) { return false; }
    if (F.path && lowerPath[i].indexOf(F.path.toLowerCase()) < 0) { return false; }
    return true;
  }

  var sortKey = {
    rule: function (r) { return D.rules[r[C.rule]].id; },
    level: function (r) { return r[C.level]; },
    status: function (r) { return r[C.status]; },
    key: function (r) { return D.keys[r[C.key]]; },
    path: function (r) { return r[C.path]; },
    date: function (r) { return r[C.date] || ''; },
    head: function (r) { return r[C.head] === null ? -1 : r[C.head]; },
    refs: function (r) { return r[C.refs_count] || 0; }
  };

  function apply() {
    shown = [];
    for (var i = 0; i < rows.length; i++) { if (matches(i)) { shown.push(i); } }
    var key = sortKey[F.sort];
    if (key) {
      var dir = F.desc ? -1 : 1;
      shown.sort(function (a, b) {
        var x = key(rows[a]), y = key(rows[b]);
        return (x < y ? -1 : x > y ? 1 : a - b) * dir;
      });
    }
    document.querySelectorAll('#table th[data-sort]').forEach(function (th) {
      th.className = th.getAttribute('data-sort') === F.sort ? (F.desc ? 'desc' : 'asc') : '';
    });
    $('f-key-box').hidden = F.key === '';
    $('f-key').textContent = F.key === '' ? '' : D.keys[Number(F.key)] || '?';
    limit = PAGE;
    render();
    writeHash();
  }

  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) { e.textContent = text; }
    if (cls) { e.className = cls; }
    return e;
  }

  function keyButton(k, label) {
    var b = el('button', label, 'link');
    b.type = 'button';
    b.setAttribute('data-key', k);
    return b;
  }

  function row(i) {
    var r = rows[i];
    var tr = document.createElement('tr');
    var st = D.statuses[r[C.status]];
    tr.setAttribute('data-status', st.id);
    tr.appendChild(el('td', D.rules[r[C.rule]].id));
    tr.appendChild(el('td', r[C.level] ? 'error' : 'warning', r[C.level] ? 'lvl-error' : 'lvl-warning'));
    var s = el('td');
    s.appendChild(el('span', st.label, 'st st-' + st.id));
    tr.appendChild(s);
    var k = el('td');
    k.appendChild(el('code', D.keys[r[C.key]]));
    tr.appendChild(k);
    tr.appendChild(el('td', r[C.path] + ':' + r[C.line], 'path'));
    var c = el('td');
    if (r[C.commit]) {
      c.appendChild(el('code', r[C.commit]));
      c.appendChild(el('div', r[C.author], 'small'));
      c.appendChild(el('div', r[C.date], 'small'));
    } else if (r[C.blob]) {
      c.appendChild(el('div', 'unreachable blob', 'small'));
      c.appendChild(el('code', r[C.blob].slice(0, 12)));
    }
    tr.appendChild(c);
    var h = r[C.head];
    tr.appendChild(el('td', h === null ? '' : h ? 'yes' : 'no', h ? 'head-yes' : ''));
    var refs = el('td');
    if (r[C.refs_count] !== null) {
      var names = r[C.refs] || [];
      refs.appendChild(el('div', r[C.refs_count] + (r[C.refs_count] === 1 ? ' ref' : ' refs') + ', ' +
        r[C.commits_count] + (r[C.commits_count] === 1 ? ' commit' : ' commits')));
      if (names.length) {
        var more = r[C.refs_count] - Math.min(names.length, 3);
        refs.appendChild(el('div', names.slice(0, 3).join(', ') + (more > 0 ? ' +' + more : ''), 'small'));
      }
    }
    tr.appendChild(refs);
    var o = el('td');
    var same = byKey[r[C.key]];
    var n = 0;
    for (var j = 0; j < same.length && n < 3; j++) {
      if (same[j] !== i) {
        var q = rows[same[j]];
        o.appendChild(el('div', q[C.path] + ':' + q[C.line], 'small path'));
        n++;
      }
    }
    if (same.length > 1) {
      o.appendChild(keyButton(String(r[C.key]), 'show all ' + same.length + ' places'));
    }
    tr.appendChild(o);
    return tr;
  }

  function render() {
    var body = $('rows');
    var frag = document.createDocumentFragment();
    var end = Math.min(shown.length, limit);
    for (var i = 0; i < end; i++) { frag.appendChild(row(shown[i])); }
    body.textContent = '';
    body.appendChild(frag);
    $('shown').textContent = String(shown.length);
    $('total').textContent = String(rows.length);
    var more = $('more');
    more.hidden = shown.length <= limit;
    more.textContent = 'Show ' + Math.min(PAGE, shown.length - limit) + ' more (' + (shown.length - limit) + ' not shown)';
  }

  Object.keys(inputs).forEach(function (k) {
    inputs[k].addEventListener(k === 'path' ? 'input' : 'change', function () { F[k] = inputs[k].value; apply(); });
  });
  document.querySelectorAll('#table th[data-sort]').forEach(function (th) {
    th.addEventListener('click', function () {
      var s = th.getAttribute('data-sort');
      F.desc = F.sort === s && !F.desc ? '1' : '';
      F.sort = s;
      apply();
    });
  });
  $('rows').addEventListener('click', function (e) {
    var k = e.target.getAttribute && e.target.getAttribute('data-key');
    if (k !== null && k !== undefined) { F.key = k; apply(); }
  });
  $('f-key-clear').addEventListener('click', function () { F.key = ''; apply(); });
  $('f-reset').addEventListener('click', function () {
    Object.keys(F).forEach(function (k) { F[k] = ''; });
    Object.keys(inputs).forEach(function (k) { inputs[k].value = ''; });
    apply();
  });
  $('more').addEventListener('click', function () { limit += PAGE; render(); });
  window.addEventListener('hashchange', function () { readHash(); apply(); });

  var bench = /(^|&)bench=1(&|$)/.test(location.hash.replace(/^#/, ''));
  readHash();
  apply();
  document.body.setAttribute('data-render-ms', (performance.now() - t0).toFixed(1));
  document.body.setAttribute('data-ready', '1');

  if (bench) {
    var times = [];
    ['src', 'a', '', 'zz-no-such-path', ''].forEach(function (text) {
      var t = performance.now();
      F.path = text; inputs.path.value = text; apply();
      times.push(performance.now() - t);
    });
    ['live', 'expired', ''].forEach(function (st) {
      var t = performance.now();
      F.status = st; inputs.status.value = st; apply();
      times.push(performance.now() - t);
    });
    var t = performance.now();
    F.sort = 'path'; F.desc = '1'; apply();
    times.push(performance.now() - t);
    document.body.setAttribute('data-filter-ms', times.map(function (x) { return x.toFixed(1); }).join(','));
  }
}());
