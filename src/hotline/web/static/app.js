/* Hotline 12345 — the pages' only script besides htmx and ECharts (no inline scripts: the pages are
   served with a Content-Security-Policy that allows scripts from this site only). */
(function () {
  'use strict';
  // Ctrl+Enter (or Cmd+Enter) sends a form marked data-ctrl-enter
  document.addEventListener('keydown', function (e) {
    if (e.key !== 'Enter' || !(e.ctrlKey || e.metaKey)) { return; }
    var form = e.target.closest && e.target.closest('form[data-ctrl-enter]');
    if (form) { e.preventDefault(); form.submit(); }
  });
  // "use the draft": copy a drafted reply into the reply box
  document.addEventListener('click', function (e) {
    var button = e.target.closest && e.target.closest('[data-copy-from]');
    if (!button) { return; }
    var from = document.getElementById(button.getAttribute('data-copy-from'));
    var to = document.getElementById(button.getAttribute('data-copy-to'));
    if (from && to) { to.value = from.innerText; to.focus(); }
  });
  // the dashboard's charts, from the JSON block the page carries
  function drawCharts() {
    var block = document.getElementById('chart-data');
    if (!block || typeof echarts === 'undefined') { return; }
    var data = JSON.parse(block.textContent);
    var L = data.labels;
    var trend = echarts.init(document.getElementById('trend'));
    trend.setOption({
      tooltip: {trigger: 'axis'}, legend: {data: [L.tickets, L.satisfaction]},
      grid: {left: 40, right: 40, bottom: 30},
      xAxis: {type: 'category', data: data.trend.days},
      yAxis: [{type: 'value'}, {type: 'value', min: 0, max: 100, axisLabel: {formatter: '{value}%'}}],
      series: [{name: L.tickets, type: 'bar', data: data.trend.tickets, itemStyle: {color: '#4e79a7'}},
               {name: L.satisfaction, type: 'line', yAxisIndex: 1, data: data.trend.satisfaction, connectNulls: true, itemStyle: {color: '#b42318'}}]
    });
    var heat = echarts.init(document.getElementById('heat'));
    heat.setOption({
      tooltip: {formatter: function (p) {
        var s = data.heat[p.dataIndex].satisfaction;
        return p.name + '<br>' + L.tickets + ' ' + p.value[0] + '<br>' + L.satisfaction + ' ' + (s == null ? '—' : (s * 100).toFixed(1) + '%');
      }},
      grid: {left: 80, right: 20, top: 40, bottom: 30},
      visualMap: {min: 0.6, max: 1, dimension: 2, orient: 'horizontal', right: 10, top: 0, text: ['100%', '60%'],
                  inRange: {color: ['#d73027', '#fee08b', '#1a9850']}, itemHeight: 80},
      xAxis: {type: 'value'}, yAxis: {type: 'category', data: data.heat.map(function (d) { return d.name; })},
      series: [{type: 'bar', data: data.heat.map(function (d) { return [d.tickets, d.name, d.satisfaction == null ? 0.6 : d.satisfaction]; }), encode: {x: 0, y: 1}}]
    });
    window.addEventListener('resize', function () { trend.resize(); heat.resize(); });
  }
  // deferred scripts (ECharts among them) have all run when DOMContentLoaded fires
  if (document.readyState === 'complete') { drawCharts(); } else { document.addEventListener('DOMContentLoaded', drawCharts); }
}());
