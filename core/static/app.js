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
        if (!status.running) {
          if (status.next_url) window.location.assign(status.next_url); else window.location.reload();
          return;
        }
        if (status.total_rows) {
          bar.value = status.percent;
          bar.textContent = `${status.percent}%`;
          label.textContent = `${status.state_label}：${status.processed_rows} / ${status.total_rows}`;
        } else if ("processed_rows" in status) {
          label.textContent = `${status.state_label}：${status.processed_rows}`;  // still counting the rows
        }
      }
    } catch (error) { /* a missed poll is retried on the next tick */ }
    window.setTimeout(poll, 1500);
  };
  window.setTimeout(poll, 1000);
});

// A file the page waited for downloads by itself once made ([data-auto-download]: a document's PDF).
document.addEventListener("DOMContentLoaded", () => {
  const link = document.querySelector("[data-auto-download]");
  if (link) link.click();
});

// A refused form (422 page): back to the form as the browser kept it, entries included (no reload).
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("[data-history-back]").forEach((button) => {
    button.addEventListener("click", () => { window.history.back(); });
  });
});

// The feedback form's reply templates ([data-reply-pick]): the picked standard text goes into the textarea it
// names, where the officer edits it. Without script the officer types the text (the leader's page lists them).
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("select[data-reply-pick]").forEach((select) => {
    const target = select.form && select.form.elements.namedItem(select.dataset.replyPick);
    if (!target) return;
    select.addEventListener("change", () => {
      const option = select.selectedOptions[0];
      if (!option || !option.dataset.text) return;
      if (target.value.trim() && target.value !== target.dataset.picked
          && !window.confirm("以模板内容替换已填写的反馈内容？")) return;
      target.value = option.dataset.text;
      target.dataset.picked = option.dataset.text;
      target.focus();
    });
  });
});

// Attachments ([data-upload-form]): files dropped on the zone join the chosen ones, the upload shows a progress
// bar (XMLHttpRequest) and the page reloads when done; a refusal shows its message. Without scripts the form posts.
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("[data-upload-form]").forEach((form) => {
    const input = form.querySelector('input[type="file"]');
    const zone = form.querySelector("[data-dropzone]");
    const chosen = form.querySelector("[data-chosen]");
    const bar = form.querySelector("[data-upload-progress]");
    const error = form.querySelector("[data-upload-error]");
    const show = () => { chosen.textContent = Array.from(input.files).map((f) => f.name).join("、"); };
    input.addEventListener("change", show);
    ["dragenter", "dragover"].forEach((name) => zone.addEventListener(name, (event) => {
      event.preventDefault();
      zone.classList.add("dragging");
    }));
    ["dragleave", "drop"].forEach((name) => zone.addEventListener(name, () => zone.classList.remove("dragging")));
    zone.addEventListener("drop", (event) => {
      event.preventDefault();
      const files = new DataTransfer();
      Array.from(input.files).concat(Array.from(event.dataTransfer.files)).forEach((f) => files.items.add(f));
      input.files = files.files;
      show();
    });
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const request = new XMLHttpRequest();
      request.open("POST", form.action);
      request.setRequestHeader("Accept", "application/json");
      bar.hidden = false;
      error.hidden = true;
      request.upload.addEventListener("progress", (progress) => {
        if (progress.lengthComputable) bar.value = Math.round((100 * progress.loaded) / progress.total);
      });
      request.addEventListener("load", () => {
        if (request.status === 201) {
          // Back to the record's page: a reload of a page that answered a POST would send that form again.
          const back = form.querySelector('input[name="back"]');
          const here = window.location.pathname + window.location.search;
          if (back && back.value && back.value !== here) window.location.assign(back.value); else window.location.reload();
          return;
        }
        let message = "上传失败";
        try { message = JSON.parse(request.responseText).message || message; } catch (e) { /* not JSON */ }
        if (request.status === 413) message = "上传的文件过大";
        error.textContent = message;
        error.hidden = false;
        bar.hidden = true;
      });
      request.addEventListener("error", () => { error.textContent = "上传中断，请重试"; error.hidden = false; bar.hidden = true; });
      request.send(new FormData(form));
    });
  });
  // Previews load when opened (each one is audited as a look at the file).
  document.querySelectorAll("details[data-preview]").forEach((box) => {
    box.addEventListener("toggle", () => {
      if (!box.open || box.querySelector("img, iframe")) return;
      const view = document.createElement(box.dataset.kind === "pdf" ? "iframe" : "img");
      view.src = box.dataset.src;
      view.className = "attachment-preview";
      if (view.tagName === "IMG") view.alt = "预览";
      box.appendChild(view);
    });
  });
});
