/**
 * The JavaScript that runs inside report.html (plain ES2019, no modules, no network): it reads
 * the run's data from the page's <script type="application/json" id="lp-data"> block and draws
 * the charts with uPlot (inlined before it). Kept as a string so the page needs nothing else;
 * everything it shows as text goes through textContent or uPlot's own text drawing, never
 * innerHTML, so data (scenario names, phase names) cannot inject markup.
 *
 * When done it sets <html data-charts-drawn="N"> (N = charts drawn), which the browser test reads.
 */
export const CLIENT_SCRIPT = String.raw`
(function () {
  'use strict';
  var D = JSON.parse(document.getElementById('lp-data').textContent);
  var ts = D.timeseries || {};
  var x = ts.second || [];
  var charts = [];
  var PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#bcbd22', '#7f7f7f'];
  var C = {
    offered: '#9e9e9e', sent: '#1f77b4', ok: '#2ca02c',
    rate_limited_requests: '#ff7f0e', rate_limited_tokens: '#d62728', rate_limited_other: '#9467bd',
    other_errors: '#8c564b', dropped: '#e377c2', limit: '#111111', second: '#1f77b4'
  };

  function col(name) { return ts[name] || x.map(function () { return null; }); }
  function any(arr) { for (var i = 0; i < arr.length; i++) if (arr[i]) return true; return false; }
  function constant(v) { return x.map(function () { return v; }); }
  function widthOf(node) { return Math.max(320, Math.min(1200, (node.clientWidth || 900) - 4)); }

  function line(label, color, extra) {
    var s = { label: label, stroke: color, width: 1.5, points: { show: false } };
    for (var k in extra || {}) s[k] = extra[k];
    return s;
  }
  function limitLine(label) {
    return { label: label, stroke: C.limit, width: 2, dash: [8, 5], points: { show: false } };
  }

  // Phase boundaries: dashed vertical lines with the phase name at the top of the plot.
  function drawPhases(u) {
    var phases = D.phases || [];
    if (!phases.length) return;
    var ctx = u.ctx, top = u.bbox.top, h = u.bbox.height, r = devicePixelRatio || 1;
    ctx.save();
    ctx.strokeStyle = 'rgba(0,0,0,0.35)';
    ctx.fillStyle = 'rgba(0,0,0,0.6)';
    ctx.lineWidth = r;
    ctx.setLineDash([3 * r, 3 * r]);
    ctx.font = (11 * r) + 'px system-ui, sans-serif';
    ctx.textBaseline = 'top';
    for (var i = 0; i < phases.length; i++) {
      var px = u.valToPos(phases[i].startS, 'x', true);
      if (!(px >= u.bbox.left && px <= u.bbox.left + u.bbox.width)) continue;
      ctx.beginPath();
      ctx.moveTo(px, top);
      ctx.lineTo(px, top + h);
      ctx.stroke();
      ctx.fillText(phases[i].name, px + 3 * r, top + 2 * r);
    }
    ctx.restore();
  }

  function chart(id, title, yLabel, series, data, extra) {
    var node = document.getElementById(id);
    if (!node) return;
    extra = extra || {};
    var opts = {
      title: title,
      width: widthOf(node),
      height: extra.height || 280,
      scales: { x: { time: false }, y: extra.yRange ? { range: extra.yRange } : {} },
      axes: [
        { label: extra.xLabel || 'seconds since start', values: extra.xValues, splits: extra.xSplits },
        { label: yLabel, size: 70 }
      ],
      series: [{ label: extra.xName || 'second' }].concat(series),
      hooks: extra.phases === false ? {} : { draw: [drawPhases] },
      legend: { live: true }
    };
    if (!extra.xValues) { delete opts.axes[0].values; delete opts.axes[0].splits; }
    charts.push({ node: node, u: new uPlot(opts, data, node) });
  }

  function timeCharts() {
    if (!x.length) return;
    var L = D.limits || {};

    // 1. Requests per second by outcome, with the RPM limit as a sustained rate (rpm / 60).
    var s = [line('offered', C.offered, { dash: [4, 3] }), line('sent', C.sent), line('ok', C.ok, { width: 2 })];
    var d = [x, col('offered'), col('sent'), col('ok')];
    ['rate_limited_requests', 'rate_limited_tokens', 'rate_limited_other', 'other_errors', 'dropped'].forEach(function (k) {
      if (any(col(k))) { s.push(line(k.replace(/_/g, ' '), C[k])); d.push(col(k)); }
    });
    if (L.rpm) { s.push(limitLine('RPM limit ' + L.rpm + '/min = ' + (L.rpm / 60).toFixed(2) + '/s')); d.push(constant(L.rpm / 60)); }
    chart('chart-requests', 'Requests per second', 'requests / s', s, d);

    // 2. Tokens per minute against TPM: this second's tokens x 60, and the trailing 60 s sum.
    var tin = col('tokens_in'), tout = col('tokens_out');
    var perSec = x.map(function (_, i) { return (tin[i] || 0) + (tout[i] || 0); });
    var rate = perSec.map(function (v) { return v * 60; });
    // seconds without activity have no row: the window is 60 s of x, not 60 rows
    var trailing = x.map(function (xi, i) {
      var acc = 0;
      for (var j = i; j >= 0 && xi - x[j] < 60; j--) acc += perSec[j];
      return acc;
    });
    var ts2 = [line('tokens/s x 60 (in + out)', 'rgba(31,119,180,0.55)', { width: 1 }), line('tokens in last 60 s', PALETTE[1], { width: 2 })];
    var td = [x, rate, trailing];
    if (L.tpm) { ts2.push(limitLine('TPM limit ' + L.tpm.toLocaleString('en-US') + '/min')); td.push(constant(L.tpm)); }
    chart('chart-tokens', 'Tokens per minute (usage of ok attempts, counted when they end)', 'tokens / min', ts2, td);

    // 3. In flight.
    var fs = [line('in flight (max in second)', PALETTE[4], { width: 2, fill: 'rgba(148,103,189,0.12)' })];
    var fd = [x, col('in_flight_max')];
    if (D.maxInFlight) { fs.push(limitLine('maxInFlight ' + D.maxInFlight)); fd.push(constant(D.maxInFlight)); }
    chart('chart-inflight', 'Requests in flight', 'requests', fs, fd);

    // 4. Latency over time (ok attempts ending in that second).
    chart('chart-latency-time', 'Latency of ok attempts over time', 'ms', [
      line('latency p50', PALETTE[0], { width: 2 }),
      line('latency p95', PALETTE[3], { width: 2 })
    ], [x, col('latency_p50_ms'), col('latency_p95_ms')]);
  }

  function percentileCharts() {
    var labels = D.percentileLabels || [];
    var px = labels.map(function (_, i) { return i; });
    (D.percentiles || []).forEach(function (m) {
      var s = [], d = [px];
      m.scopes.forEach(function (sc, i) {
        s.push(line(sc.scope, PALETTE[i % PALETTE.length], { width: sc.scope === 'total' ? 3 : 1.5, points: { show: true, size: 6 } }));
        d.push(sc.values);
      });
      chart(m.id, m.title, 'ms', s, d, {
        phases: false, height: 240, xLabel: 'percentile', xName: 'percentile',
        xValues: function (u, splits) { return splits.map(function (v) { return labels[v] === undefined ? '' : labels[v]; }); },
        xSplits: function () { return px; }
      });
    });
  }

  // Bars, one per policy (the matrix report): x = rank index, labelled with the policy name.
  function barCharts() {
    (D.bars || []).forEach(function (b) {
      var node = document.getElementById(b.id);
      if (!node) return;
      var bx = b.labels.map(function (_, i) { return i; });
      var max = 0;
      b.values.forEach(function (v) { if (v !== null && v > max) max = v; });
      var opts = {
        title: b.title,
        width: widthOf(node),
        height: 260,
        scales: {
          x: { time: false, range: [-0.5, bx.length - 0.5] },
          y: { range: [0, max > 0 ? max * 1.18 : 1] }
        },
        axes: [
          { label: 'policy (ranked)', splits: function () { return bx; }, values: function (u, splits) { return splits.map(function (v) { return b.labels[v] === undefined ? '' : b.labels[v]; }); } },
          { label: b.yLabel, size: 70 }
        ],
        series: [{ label: 'policy', value: function (u, v) { return v === null || b.labels[v] === undefined ? '' : b.labels[v]; } }, {
          label: b.yLabel, stroke: PALETTE[0], fill: 'rgba(31,119,180,0.55)', width: 1,
          paths: uPlot.paths.bars({ size: [0.6, 90] }), points: { show: false }
        }],
        hooks: { draw: [function (u) {
          // the value above each bar, so a screenshot reads without hovering
          var ctx = u.ctx, r = devicePixelRatio || 1;
          ctx.save();
          ctx.fillStyle = '#1b1f24';
          ctx.font = (11 * r) + 'px system-ui, sans-serif';
          ctx.textAlign = 'center';
          ctx.textBaseline = 'bottom';
          for (var i = 0; i < b.values.length; i++) {
            var v = b.values[i];
            if (v === null) continue;
            ctx.fillText(v >= 100 ? String(Math.round(v)) : v.toFixed(2), u.valToPos(i, 'x', true), u.valToPos(v, 'y', true) - 3 * r);
          }
          ctx.restore();
        }] },
        legend: { live: true }
      };
      charts.push({ node: node, u: new uPlot(opts, [bx, b.values], node) });
    });
  }

  try {
    timeCharts();
    percentileCharts();
    barCharts();
  } finally {
    document.documentElement.setAttribute('data-charts-drawn', String(charts.length));
  }

  var pending = 0;
  window.addEventListener('resize', function () {
    cancelAnimationFrame(pending);
    pending = requestAnimationFrame(function () {
      charts.forEach(function (c) { c.u.setSize({ width: widthOf(c.node), height: c.u.height }); });
    });
  });
})();
`;
