// 服务监控 (/admin/monitor): refresh the figures from the page's JSON every few seconds. No inline script: the
// page's CSP allows scripts from 'self' only. Each [data-figure] cell takes the text the server formatted.
document.addEventListener("DOMContentLoaded", () => {
  const root = document.querySelector("[data-monitor]");
  if (!root) return;
  const every = Math.max(Number(root.dataset.every) || 10, 5) * 1000;
  const failed = root.querySelector("[data-monitor-error]");

  async function refresh() {
    try {
      const response = await fetch(root.dataset.source, {credentials: "same-origin", headers: {Accept: "application/json"}});
      if (!response.ok) throw new Error(String(response.status));
      const body = await response.json();
      const figures = Object.assign({}, body.figures, {at: body.at});
      root.querySelectorAll("[data-figure]").forEach((cell) => {
        const value = figures[cell.dataset.figure];
        if (value !== undefined) cell.textContent = value;
      });
      if (failed) failed.hidden = true;
    } catch (error) {
      if (failed) failed.hidden = false;
    }
  }

  window.setInterval(refresh, every);
});
