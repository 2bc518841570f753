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
