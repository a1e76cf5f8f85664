// The dashboards' charts: each canvas[data-chart] is drawn from the JSON beside it (json_script) when
// HTMX loads it (the page, or a polled partial), and destroyed before HTMX swaps it out.
(function () {
  "use strict";
  const charts = new Map();
  const lang = document.documentElement.lang || "pt-BR";
  const money = new Intl.NumberFormat(lang, {style: "currency", currency: "BRL"});
  const number = new Intl.NumberFormat(lang, {maximumFractionDigits: 1});

  function formatter(unit) {
    if (unit === "money") return (v) => money.format(v);
    if (unit === "percent") return (v) => number.format(v) + " %";
    return (v) => number.format(v);
  }

  function draw(canvas) {
    const name = canvas.dataset.chart;
    const source = document.getElementById(name);
    if (!source || charts.has(canvas)) return;
    const data = JSON.parse(source.textContent);
    const format = formatter(data.unit);
    const valueAxis = data.horizontal ? "x" : "y";
    const chart = new window.Chart(canvas, {
      type: data.type,
      data: {
        labels: data.labels,
        datasets: data.datasets.map((set) => ({
          label: set.label, data: set.data, borderDash: set.dashed ? [6, 4] : [], tension: 0.2, fill: false,
        })),
      },
      options: {
        indexAxis: data.horizontal ? "y" : "x",
        maintainAspectRatio: false,
        animation: false,
        scales: {[valueAxis]: {beginAtZero: true, ticks: {callback: format}}},
        plugins: {
          legend: {display: data.datasets.length > 1},
          tooltip: {callbacks: {label: (item) => `${item.dataset.label}: ${format(item.raw)}`}},
          annotation: {annotations: data.annotations || {}},
        },
      },
    });
    charts.set(canvas, chart);
  }

  function drawIn(element) {
    element.querySelectorAll("canvas[data-chart]").forEach(draw);
  }

  function destroyIn(element) {
    element.querySelectorAll("canvas[data-chart]").forEach((canvas) => {
      const chart = charts.get(canvas);
      if (chart) {
        chart.destroy();
        charts.delete(canvas);
      }
    });
  }

  document.addEventListener("htmx:load", (event) => drawIn(event.detail.elt));
  document.addEventListener("htmx:beforeSwap", (event) => destroyIn(event.detail.target));
  if (window.Chart && window["chartjs-plugin-annotation"]) window.Chart.register(window["chartjs-plugin-annotation"]);
})();
