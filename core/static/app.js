// Light progressive enhancement only; every page works without it.
document.addEventListener("DOMContentLoaded", () => {
  const select = document.querySelector("[data-unit-select]");
  if (select) select.addEventListener("change", () => { window.location.href = select.value; });
  document.querySelectorAll("[data-confirm]").forEach((form) => {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  });
});

// A background job's progress bar ([data-job-progress]: an import, an export): polls its status URL and
// reloads the page when the job is done. Without it the page offers a refresh link.
document.addEventListener("DOMContentLoaded", () => {
  const box = document.querySelector("[data-job-progress]");
  if (!box) return;
  const bar = box.querySelector("[data-progress-bar]");
  const label = box.querySelector("[data-progress-text]");
  const poll = async () => {
    try {
      const response = await fetch(box.dataset.statusUrl, { headers: { Accept: "application/json" }, credentials: "same-origin" });
      if (response.ok) {
        const status = await response.json();
        if (!status.running) { window.location.reload(); return; }
        if (status.total_rows) {
          bar.value = status.percent;
          bar.textContent = `${status.percent}%`;
          label.textContent = `${status.state_label}：${status.processed_rows} / ${status.total_rows}`;
        } else {
          label.textContent = `${status.state_label}：${status.processed_rows}`;  // still counting the rows
        }
      }
    } catch (error) { /* a missed poll is retried on the next tick */ }
    window.setTimeout(poll, 1500);
  };
  window.setTimeout(poll, 1000);
});

// A refused form (422 page): back to the form as the browser kept it, entries included (no reload).
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("[data-history-back]").forEach((button) => {
    button.addEventListener("click", () => { window.history.back(); });
  });
});
