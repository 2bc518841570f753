// Dashboard charts: Apache ECharts (installed from the npm registry into /static/vendor/, no CDN) draws
// each [data-chart] container from the page's JSON block #dashboard-charts, with the SVG renderer so that
// the charts print crisply. The same numbers stand in the table beside every chart.
(function () {
  "use strict";

  const PALETTE = ["#b3261e", "#1d4ed8", "#18794e", "#b54708", "#6941c6", "#0e7490", "#c11574", "#475467"];

  const axisLabel = { hideOverlap: true };

  function series(spec, type, extra) {
    return spec.series.map((s) => Object.assign({ name: s.name, type: type, data: s.values }, extra || {}));
  }

  const BUILDERS = {
    trend(spec) {
      return {
        tooltip: { trigger: "axis" },
        legend: { top: 0 },
        grid: { left: 48, right: 16, top: 40, bottom: 32 },
        xAxis: { type: "category", data: spec.categories, axisLabel: axisLabel },
        yAxis: { type: "value", minInterval: 1 },
        series: series(spec, "line", { symbolSize: 6 }),
      };
    },
    stages(spec) {
      return {
        tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
        legend: { top: 0 },
        grid: { left: 48, right: 16, top: 72, bottom: 48 },
        xAxis: { type: "category", data: spec.categories, axisLabel: { interval: 0, rotate: spec.categories.length > 5 ? 30 : 0 } },
        yAxis: { type: "value", minInterval: 1 },
        series: series(spec, "bar", { stack: "stage", emphasis: { focus: "series" } }),
      };
    },
    ranking(spec) {
      return {
        tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
        grid: { left: 120, right: 48, top: 16, bottom: 24 },
        xAxis: { type: "value", minInterval: spec.unit === "%" ? 0 : 1 },
        yAxis: { type: "category", inverse: true, data: spec.categories, axisLabel: { interval: 0 } },
        series: [{ name: spec.figure, type: "bar", data: spec.values, label: { show: true, position: "right",
          formatter: (p) => (spec.unit === "%" ? `${p.value}%` : `${p.value}`) } }],
      };
    },
    gauge(spec) {
      return {
        series: [{ type: "gauge", min: 0, max: 100, progress: { show: true, width: 14 }, axisLine: { lineStyle: { width: 14 } },
          pointer: { show: false }, detail: { valueAnimation: false, formatter: (v) => (spec.value === null ? "—" : `${v}%`), fontSize: 26, offsetCenter: [0, "10%"] },
          title: { offsetCenter: [0, "45%"] }, data: [{ value: spec.value === null ? 0 : spec.value, name: spec.name }] }],
      };
    },
    // Bars per unit (the villages' panels): stacked where the parts make up a whole (grades, moves), else side by side.
    bars(spec) {
      return {
        tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
        legend: { top: 0 },
        grid: { left: 48, right: 16, top: 72, bottom: 48 },
        xAxis: { type: "category", data: spec.categories, axisLabel: { interval: 0, rotate: spec.categories.length > 5 ? 30 : 0 } },
        yAxis: { type: "value", minInterval: 1 },
        series: series(spec, "bar", spec.stack ? { stack: "total", emphasis: { focus: "series" } } : {}),
      };
    },
    phases(spec) {
      return {
        tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
        legend: { top: 0 },
        grid: { left: 48, right: 16, top: 40, bottom: 32 },
        xAxis: { type: "category", data: spec.categories, axisLabel: { interval: 0 } },
        yAxis: { type: "value", minInterval: 1 },
        series: series(spec, "bar"),
      };
    },
  };

  function drillOnClick(chart, spec) {
    if (!spec.links) return;
    chart.on("click", (params) => {
      const href = spec.links[params.dataIndex];
      if (href) window.location.assign(href);
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    const source = document.getElementById("dashboard-charts");
    if (!source) return;
    const containers = document.querySelectorAll("[data-chart]");
    if (typeof window.echarts === "undefined") {
      // The install step did not copy the chart library: say so loudly (the tables still hold the numbers).
      console.error("ECharts is missing: run the install step (npm ci && npm run vendor)");
      containers.forEach((el) => { el.textContent = "图表库未安装，请查看右侧表格。"; el.classList.add("chart-missing"); });
      return;
    }
    const data = JSON.parse(source.textContent);
    // The villages' panels bring their own block (present only where the page shows them).
    const villages = document.getElementById("dashboard-village-charts");
    if (villages) Object.assign(data, JSON.parse(villages.textContent));
    const font = window.getComputedStyle(document.body).fontFamily;
    const charts = [];
    containers.forEach((el) => {
      const spec = data[el.dataset.chart];
      const build = BUILDERS[el.dataset.chartType || el.dataset.chart];
      if (!spec || !build) return;
      const chart = window.echarts.init(el, null, { renderer: "svg" });
      chart.setOption(Object.assign({ color: PALETTE, animation: false, textStyle: { fontFamily: font } }, build(spec)));
      drillOnClick(chart, spec);
      charts.push(chart);
      el.dataset.chartReady = "true";
    });

    // Paper is narrower than the screen: draw at the printed width, then back.
    const resize = (width) => charts.forEach((chart) => chart.resize(width ? { width: width } : undefined));
    window.addEventListener("resize", () => resize());
    window.addEventListener("beforeprint", () => resize(640));
    window.addEventListener("afterprint", () => resize());

    document.querySelectorAll("[data-print]").forEach((button) => button.addEventListener("click", () => window.print()));
  });
})();
