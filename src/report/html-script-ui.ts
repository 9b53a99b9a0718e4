/**
 * The second half of the page's one function (html-script.ts has the first): a cell's details on
 * click (digest key, window, key fingerprint, reason, its logs), as text nodes only; scrolling,
 * filters and zoom events; `window.trailproofTimeline`, what the browser tests and the benchmark
 * read (where a cell is drawn and its pixel colour, the rows shown).
 */
export const PAGE_SCRIPT_UI = `
  function keyAt(c, h) {
    if (!c.kt || c.stamps[h] === 0xffff) return null;
    var t = new Date(meta.origin + h * HOUR + c.stamps[h] * 1000);
    var folder = t.getUTCFullYear() + '/' + pad(t.getUTCMonth() + 1) + '/' + pad(t.getUTCDate()) + '/';
    var stamp = String(t.getUTCFullYear()) + pad(t.getUTCMonth() + 1) + pad(t.getUTCDate()) + 'T' + pad(t.getUTCHours()) + pad(t.getUTCMinutes()) + pad(t.getUTCSeconds()) + 'Z';
    return c.kt[0] + folder + c.kt[1] + stamp + '.json.gz';
  }

  function line(box, label, value) {
    var p = el('div');
    p.appendChild(el('span', label + ': ', 'k'));
    p.appendChild(el('code', value));
    box.appendChild(p);
  }

  function show(c, col) {
    var box = $('details');
    box.textContent = '';
    var h0 = zoom === 'hour' ? col : Math.max(0, col * 24 - dayShift);
    var h1 = zoom === 'hour' ? col + 1 : Math.min(hours, (col + 1) * 24 - dayShift);
    var state = zoom === 'hour' ? c.states[col] : c.dayStates[col];
    box.appendChild(el('h2', c.n));
    line(box, 'window', iso(meta.origin + h0 * HOUR) + ' to ' + iso(meta.origin + h1 * HOUR));
    var st = el('div');
    st.appendChild(el('span', 'state: ', 'k'));
    st.appendChild(el('b', pal.labels[state]));
    st.className = 'state';
    box.appendChild(st);
    var validShown = 0;
    for (var h = h0; h < h1 && validShown < 24; h++) {
      var key = keyAt(c, h);
      if (!key) continue;
      validShown++;
      var item = el('div', null, 'item valid');
      item.appendChild(el('div', 'valid digest' + (h1 - h0 > 1 ? ' (' + iso(meta.origin + h * HOUR).slice(11, 16) + ')' : '')));
      line(item, 'digest key', key);
      line(item, 'key fingerprint', c.keys[h] === 255 ? 'unknown' : c.fp[c.keys[h]]);
      line(item, 'logs checked', String(c.logs[h]));
      box.appendChild(item);
    }
    var found = 0;
    c.d.forEach(function (d) {
      var e = Math.max(d.e, d.h + 1);
      if (d.h >= h1 || e <= h0 || found >= 200) return;
      found++;
      var item = el('div', null, 'item');
      var head = el('div');
      head.appendChild(el('b', (d.v ? d.v.toUpperCase() + ' ' : '') + d.c, 'sev-' + d.v));
      item.appendChild(head);
      item.appendChild(el('div', d.m, 'msg'));
      if (d.k) line(item, 'digest key', d.k);
      else if (d.s) line(item, 'object', d.s);
      if (d.w) line(item, 'window', d.w);
      if (d.fp !== undefined) line(item, 'key fingerprint', d.fp === null ? 'unknown (the digest is not valid)' : d.fp);
      if (d.r) line(item, 'reason', d.r);
      if (d.n) line(item, 'logs', d.n[0] + ' valid, ' + d.n[1] + ' INVALID');
      (d.l || []).forEach(function (l) {
        line(item, 'INVALID log', l[0] + ': ' + l[1]);
      });
      box.appendChild(item);
    });
    if (c.dm > 0) box.appendChild(el('p', c.dm + ' details of this chain were left out of this file (size budget): the JSON report has them.'));
    if (c.x) box.appendChild(el('p', 'The run stopped in this chain: ' + c.x, 'sev-error'));
  }

  function hit(ev) {
    var rect = tl.getBoundingClientRect();
    var x = ev.clientX - rect.left;
    var y = ev.clientY - rect.top;
    if (x < LABEL_W || y < AXIS_H) return null;
    var col = Math.floor((x - LABEL_W + tl.scrollLeft) / cw);
    var row = Math.floor((y - AXIS_H + tl.scrollTop) / ROW_H);
    if (row < 0 || row >= shown.length || col < 0 || col >= cols()) return null;
    return { row: row, col: col };
  }

  tl.addEventListener('click', function (ev) {
    var p = hit(ev);
    if (p) show(shown[p.row], p.col);
  });
  tl.addEventListener('scroll', function () {
    window.requestAnimationFrame(draw);
  });
  window.addEventListener('resize', layout);
  ['f-account', 'f-region', 'f-severity'].forEach(function (id) {
    $(id).addEventListener('change', applyFilters);
  });
  zoomSel.addEventListener('change', function () {
    zoom = zoomSel.value;
    layout();
  });

  function outside() {
    var box = $('outside');
    if (!sum.outside.length) return;
    box.appendChild(el('h2', 'Outside any chain'));
    sum.outside.forEach(function (f) {
      var p = el('div');
      p.appendChild(el('b', f.v.toUpperCase() + ' ' + f.c + ': ', 'sev-' + f.v));
      p.appendChild(el('span', f.m));
      box.appendChild(p);
    });
  }

  totals();
  outside();
  applyFilters();
  // For tests and the benchmark: where a cell is drawn (scrolled into view), and what is shown.
  window.trailproofTimeline = {
    ready: true,
    readyAt: performance.now(),
    rows: function () {
      return shown.map(function (c) {
        return c.n;
      });
    },
    zoom: function (z) {
      zoom = z;
      zoomSel.value = z;
      layout();
    },
    cell: function (name, col) {
      var row = -1;
      for (var i = 0; i < shown.length; i++) if (shown[i].n === name) row = i;
      if (row < 0) return null;
      tl.scrollLeft = Math.max(0, col * cw - (tl.clientWidth - LABEL_W) / 2);
      tl.scrollTop = Math.max(0, row * ROW_H - (tl.clientHeight - AXIS_H) / 2);
      draw();
      var rect = tl.getBoundingClientRect();
      var x = LABEL_W + col * cw - tl.scrollLeft + Math.floor((cw - 1) / 2);
      var y = AXIS_H + row * ROW_H - tl.scrollTop + ROW_H / 2;
      var px = ctx.getImageData(Math.round(x * (window.devicePixelRatio || 1)), Math.round(y * (window.devicePixelRatio || 1)), 1, 1).data;
      return { x: rect.left + x, y: rect.top + y, rgb: [px[0], px[1], px[2]] };
    },
  };
})();
`;
