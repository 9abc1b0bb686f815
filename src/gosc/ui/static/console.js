// The console's only script: live task rows over server-sent events, and reading an
// uploaded spec file into the form.  Pages work without it (reload to see changes).
"use strict";

function liveTasks() {
  const status = document.getElementById("live-status");
  const rows = document.getElementById("task-rows");
  if (!status || !rows || !window.EventSource) return;
  const source = new EventSource(status.dataset.stream);
  source.addEventListener("open", () => { status.textContent = "Live: tasks update as they change."; status.dataset.live = "yes"; });
  source.addEventListener("error", () => { status.textContent = "Reconnecting…"; status.dataset.live = "no"; });
  source.addEventListener("task", (event) => {
    const holder = document.createElement("tbody");
    holder.innerHTML = JSON.parse(event.data);  // server-rendered, escaped by its templates
    const row = holder.firstElementChild;
    if (!row) return;
    const old = document.getElementById(row.id);
    if (old) old.replaceWith(row); else rows.prepend(row);
  });
}

function specUpload() {
  const input = document.getElementById("spec-file");
  const box = document.getElementById("spec");
  if (!input || !box) return;
  input.addEventListener("change", () => {
    const file = input.files && input.files[0];
    if (!file) return;
    file.text().then((text) => {
      box.value = text;
      const xml = document.querySelector('input[name="format"][value="xml"]');
      const json = document.querySelector('input[name="format"][value="json"]');
      if (xml && json) (text.trimStart().startsWith("<") ? xml : json).checked = true;
    });
  });
}

document.addEventListener("DOMContentLoaded", () => { liveTasks(); specUpload(); });
