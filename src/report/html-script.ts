import { PAGE_SCRIPT_UI } from './html-script-ui.js';

/**
 * The timeline page's script (html-page.ts inlines it): reads the chain blocks html.ts wrote and
 * draws the visible cells of the visible rows on one canvas under a scrolling layer (a year of 100
 * chains is 876,000 hours: only what is on screen is drawn); filters rows by account, region and
 * severity; zooms hours/days. html-script-ui.ts has the rest of the same function (details on
 * click, events, the hooks tests use). Plain ES2017, no template literals (it lives in one).
 */
const PAGE_SCRIPT_DATA = `
(function () {
  'use strict';
  var HOUR = 3600000;
  var LABEL_W = 300;
  var ROW_H = 18;
  var AXIS_H = 34;
  function $(id) {
    return document.getElementById(id);
  }
  function json(id) {
    return JSON.parse($(id).textContent);
  }
  function bytes(b64) {
    var s = atob(b64);
    var a = new Uint8Array(s.length);
    for (var i = 0; i < s.length; i++) a[i] = s.charCodeAt(i);
    return a;
  }
  function u16(b64) {
    var b = bytes(b64);
    return new Uint16Array(b.buffer, 0, b.length >> 1);
  }
  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  }
  function pad(n, w) {
    var s = String(n);
    while (s.length < (w || 2)) s = '0' + s;
    return s;
  }
  function iso(ms) {
    var d = new Date(ms);
    return d.getUTCFullYear() + '-' + pad(d.getUTCMonth() + 1) + '-' + pad(d.getUTCDate()) + 'T' + pad(d.getUTCHours()) + ':' + pad(d.getUTCMinutes()) + ':' + pad(d.getUTCSeconds()) + 'Z';
  }

  var meta = json('tp-meta');
  var pal = json('tp-colours');
  var sum = json('tp-summary');
  var hours = meta.hours;
  // Day cells are UTC days: the grid starts at an hour, so the first day may be short.
  var dayShift = new Date(meta.origin).getUTCHours();
  var days = Math.ceil((hours + dayShift) / 24);
  var chains = [];
  var blocks = document.querySelectorAll('script.tp-chain');
  for (var b = 0; b < blocks.length; b++) {
    var c = JSON.parse(blocks[b].textContent);
    c.states = bytes(c.s);
    c.logs = u16(c.l);
    c.stamps = u16(c.k);
    c.keys = bytes(c.q);
    c.s = c.l = c.k = c.q = null;
    c.dayStates = new Uint8Array(days);
    c.counts = new Array(pal.states.length).fill(0);
    for (var h = 0; h < hours; h++) {
      var st = c.states[h];
      c.counts[st]++;
      var d = Math.floor((h + dayShift) / 24);
      if (c.dayStates[d] < st) c.dayStates[d] = st;
    }
    chains.push(c);
  }

  var tl = $('tl');
  var cv = $('cv');
  var ctx = cv.getContext('2d');
  var zoomSel = $('f-zoom');
  var shown = chains;
  var zoom = hours <= 24 * 14 ? 'hour' : 'day';
  zoomSel.value = zoom;
  var cw = 4;
  // The label column fits the widest chain label (up to half the view): two chains' labels may
  // differ only at their end (the home region, the prefix), which a cut label would hide.
  ctx.font = '12px system-ui, sans-serif';
  var widest = 0;
  chains.forEach(function (c) {
    widest = Math.max(widest, ctx.measureText(c.n).width);
  });

  function fill(select, values) {
    values.sort().forEach(function (v) {
      var o = el('option', v);
      o.value = v;
      select.appendChild(o);
    });
  }
  function distinct(key) {
    var seen = {};
    chains.forEach(function (c) {
      seen[c[key]] = true;
    });
    return Object.keys(seen);
  }
  fill($('f-account'), distinct('a'));
  fill($('f-region'), distinct('r'));

  function totals() {
    var t = sum.totals;
    $('range').textContent = meta.start + ' to ' + meta.end + ' (UTC)';
    var box = $('totals');
    box.textContent = '';
    box.appendChild(el('span', t.chains + ' chains, ' + (t.digests.valid + t.digests.invalid) + ' digests (' + t.digests.invalid + ' INVALID), ' + (t.logs.valid + t.logs.invalid) + ' logs (' + t.logs.invalid + ' INVALID); findings: '));
    box.appendChild(el('span', t.findings.error + ' errors', t.findings.error > 0 ? 'bad' : ''));
    box.appendChild(el('span', ', ' + t.findings.warning + ' warnings, ' + t.findings.info + ' info; exit code ' + t.exitCode));
    if (t.fatal) box.appendChild(el('div', 'The run stopped: ' + t.fatal, 'bad'));
    if (sum.droppedDetails > 0) box.appendChild(el('div', sum.droppedDetails + ' details were left out of this file to keep it small: the JSON report has them all.'));
  }

  function applyFilters() {
    var a = $('f-account').value;
    var r = $('f-region').value;
    var sev = $('f-severity').value;
    shown = chains.filter(function (c) {
      if (a && c.a !== a) return false;
      if (r && c.r !== r) return false;
      var n = c.f.error + c.f.warning + c.f.info;
      if (sev === 'error') return c.f.error > 0 || !!c.x;
      if (sev === 'warning') return c.f.error + c.f.warning > 0 || !!c.x;
      if (sev === 'any') return n > 0 || !!c.x;
      if (sev === 'clean') return n === 0 && !c.x;
      return true;
    });
    $('shown').textContent = shown.length + ' of ' + chains.length + ' chains';
    var counts = new Array(pal.states.length).fill(0);
    shown.forEach(function (c) {
      for (var i = 0; i < counts.length; i++) counts[i] += c.counts[i];
    });
    var items = document.querySelectorAll('#legend > span');
    for (var i = 0; i < items.length; i++) items[i].querySelector('.n').textContent = '(' + counts[i] + ' h)';
    layout();
  }

  function cols() {
    return zoom === 'hour' ? hours : days;
  }
  function layout() {
    LABEL_W = Math.max(300, Math.min(Math.ceil(widest) + 12, Math.floor(tl.clientWidth / 2)));
    var avail = Math.max(100, tl.clientWidth - LABEL_W);
    var n = cols();
    cw = Math.max(zoom === 'hour' ? 3 : 4, Math.min(zoom === 'hour' ? 28 : 40, Math.floor(avail / n)));
    $('spacer').style.width = LABEL_W + n * cw + 'px';
    $('spacer').style.height = AXIS_H + shown.length * ROW_H + 'px';
    draw();
  }

  function draw() {
    var dpr = window.devicePixelRatio || 1;
    var w = tl.clientWidth;
    var h = tl.clientHeight;
    if (cv.width !== Math.round(w * dpr) || cv.height !== Math.round(h * dpr)) {
      cv.width = Math.round(w * dpr);
      cv.height = Math.round(h * dpr);
      cv.style.width = w + 'px';
      cv.style.height = h + 'px';
    }
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.fillStyle = '#ffffff';
    ctx.fillRect(0, 0, w, h);
    var sl = tl.scrollLeft;
    var st = tl.scrollTop;
    var n = cols();
    var c0 = Math.max(0, Math.floor(sl / cw));
    var c1 = Math.min(n, Math.ceil((sl + w - LABEL_W) / cw) + 1);
    var r0 = Math.max(0, Math.floor(st / ROW_H));
    var r1 = Math.min(shown.length, Math.ceil((st + h - AXIS_H) / ROW_H) + 1);
    var gap = cw >= 6 ? 1 : 0;
    for (var r = r0; r < r1; r++) {
      var c = shown[r];
      var row = zoom === 'hour' ? c.states : c.dayStates;
      var y = AXIS_H + r * ROW_H - st;
      var last = -1;
      for (var x = c0; x < c1; x++) {
        var s = row[x];
        if (s !== last) {
          ctx.fillStyle = pal.colours[s];
          last = s;
        }
        ctx.fillRect(LABEL_W + x * cw - sl, y + 1, cw - gap, ROW_H - 2);
      }
    }
    // Labels and axis over the cells.
    ctx.fillStyle = '#ffffff';
    ctx.fillRect(0, 0, LABEL_W, h);
    ctx.fillRect(0, 0, w, AXIS_H);
    ctx.font = '12px system-ui, sans-serif';
    ctx.textBaseline = 'middle';
    for (var r2 = r0; r2 < r1; r2++) {
      var ch = shown[r2];
      ctx.fillStyle = ch.f.error > 0 || ch.x ? '#b91c1c' : '#111827';
      var name = ch.n;
      while (name.length > 4 && ctx.measureText(name).width > LABEL_W - 8) name = name.slice(0, -2);
      if (name !== ch.n) name = name.slice(0, -1) + '…';
      ctx.fillText(name, 4, AXIS_H + r2 * ROW_H - st + ROW_H / 2);
    }
    ctx.fillStyle = '#374151';
    ctx.strokeStyle = '#9ca3af';
    var colMs = zoom === 'hour' ? HOUR : 24 * HOUR;
    var base = zoom === 'hour' ? meta.origin : meta.origin - dayShift * HOUR;
    var every = Math.max(1, Math.ceil(90 / cw));
    if (zoom === 'hour') every = every <= 24 ? (24 % every === 0 ? every : 24) : Math.ceil(every / 24) * 24;
    for (var x2 = c0; x2 < c1; x2++) {
      var t = base + x2 * colMs;
      var aligned = zoom === 'hour' ? (x2 + dayShift) % every === 0 : x2 % every === 0;
      if (!aligned) continue;
      var px = LABEL_W + x2 * cw - sl;
      ctx.beginPath();
      ctx.moveTo(px + 0.5, AXIS_H - 8);
      ctx.lineTo(px + 0.5, AXIS_H);
      ctx.stroke();
      var label = iso(t);
      ctx.fillText(zoom === 'hour' && every < 24 ? label.slice(5, 13).replace('T', ' ') + 'h' : label.slice(0, 10), px + 2, 12);
    }
    ctx.fillText(zoom === 'hour' ? 'hours (UTC)' : 'days (UTC)', 4, 12);
  }

`;

export const PAGE_SCRIPT = PAGE_SCRIPT_DATA + PAGE_SCRIPT_UI;
