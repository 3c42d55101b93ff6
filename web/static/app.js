// Berth dashboard: small enhancements over server-rendered pages. Every page works without this file
// except the live build log and the Logs page's live tail (without it, that page shows the log as of
// its loading).
"use strict";

function copyText(text, button) {
  const done = () => {
    const label = button.textContent;
    button.textContent = "Copied";
    button.classList.add("copied");
    setTimeout(() => { button.textContent = label; button.classList.remove("copied"); }, 1500);
  };
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(text).then(done, () => fallbackCopy(text) && done());
  } else if (fallbackCopy(text)) {
    done();
  }
}

function fallbackCopy(text) {
  const area = document.createElement("textarea");
  area.value = text;
  area.setAttribute("readonly", "");
  area.style.position = "fixed";
  area.style.opacity = "0";
  document.body.appendChild(area);
  area.select();
  let ok = false;
  try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
  area.remove();
  return ok;
}

document.addEventListener("click", (e) => {
  const button = e.target.closest("[data-copy]");
  if (!button) return;
  const source = document.querySelector(button.dataset.copy);
  if (source) copyText(source.value !== undefined ? source.value : source.textContent, button);
});

document.addEventListener("submit", (e) => {
  const form = e.target.closest("form[data-confirm]");
  if (form && !window.confirm(form.dataset.confirm)) e.preventDefault();
});

document.addEventListener("change", (e) => {
  if (e.target.matches("[data-autosubmit]")) e.target.form.submit();
  if (e.target.matches("[data-secret-toggle]")) {
    const field = document.querySelector(e.target.dataset.secretToggle);
    if (field) field.type = e.target.checked ? "password" : "text";
  }
});

// Delete buttons stay disabled until the name is typed exactly.
for (const input of document.querySelectorAll("[data-must-equal]")) {
  const button = document.querySelector(input.dataset.enables);
  const check = () => { if (button) button.disabled = input.value.trim() !== input.dataset.mustEqual; };
  input.addEventListener("input", check);
  check();
}

// A build log streams from the API (server-sent events: `line`, then `done`).
const log = document.querySelector("#build-log[data-stream]");
if (log) {
  const status = document.getElementById("deploy-status");
  const note = document.getElementById("stream-note");
  const source = new EventSource(log.dataset.stream, { withCredentials: true });
  const follow = () => {
    const atEnd = log.scrollTop + log.clientHeight >= log.scrollHeight - 40;
    return () => { if (atEnd) log.scrollTop = log.scrollHeight; };
  };
  source.addEventListener("line", (e) => {
    const scroll = follow();
    log.append(e.data + "\n");
    scroll();
    if (status && status.textContent === "queued") {
      status.textContent = "building";
      status.className = "badge status-building";
    }
  });
  source.addEventListener("done", (e) => {
    source.close();
    let result = {};
    try { result = JSON.parse(e.data); } catch (err) { result = {}; }
    const took = document.getElementById("build-duration");
    const started = took ? Number(took.dataset.started) : 0;
    if (started > 0) {
      const secs = Math.max(0, (Date.now() - started) / 1000);
      took.textContent = secs < 60 ? `${secs.toFixed(1)} s` : `${Math.floor(secs / 60)} min ${Math.round(secs % 60)} s`;
    }
    if (status && result.status) {
      status.textContent = result.status;
      status.className = "badge status-" + result.status;
    }
    if (result.error) {
      const box = document.getElementById("deploy-error");
      if (box) { box.textContent = result.error; box.hidden = false; }
    }
    if (note) note.textContent = result.status === "ready" ? "Build finished: live." : "Build finished.";
  });
  source.onerror = () => {
    if (source.readyState === EventSource.CLOSED && note) note.textContent = "The log stream ended; reload to see the rest.";
  };
}

// The Logs page tails the runtime log from the API (server-sent events `log`, one per event, and
// `lagged` when this reader fell behind). New rows go at the bottom; the table keeps 1000.
const runtimeLog = document.querySelector("#runtime-log[data-stream]");
if (runtimeLog) {
  const status = document.getElementById("log-status");
  const empty = document.getElementById("log-empty");
  const scroller = runtimeLog.closest(".log-scroll");
  const source = new EventSource(runtimeLog.dataset.stream, { withCredentials: true });
  const cell = (row, text, cls) => {
    const td = row.insertCell();
    if (cls) td.className = cls;
    td.textContent = text;
    return td;
  };
  source.onopen = () => { if (status) status.textContent = "live"; };
  source.addEventListener("log", (e) => {
    let ev;
    try { ev = JSON.parse(e.data); } catch (err) { return; }
    const atEnd = !scroller || scroller.scrollTop + scroller.clientHeight >= scroller.scrollHeight - 40;
    const row = runtimeLog.insertRow();
    row.className = "kind-" + ev.kind + (ev.isError ? " is-error" : "");
    row.dataset.seq = ev.seq;
    cell(row, new Date(ev.time).toISOString().replace("T", " ").slice(0, 23), "time");
    const level = document.createElement("span");
    level.className = "level level-" + ev.level;
    level.textContent = ev.level;
    row.insertCell().append(level);
    const code = document.createElement("code");
    code.textContent = ev.tool || "";
    row.insertCell().append(code);
    cell(row, ev.text, "text");
    while (runtimeLog.rows.length > 1000) runtimeLog.deleteRow(0);
    if (empty) empty.hidden = true;
    if (scroller && atEnd) scroller.scrollTop = scroller.scrollHeight;
  });
  source.addEventListener("lagged", (e) => {
    let n = "some";
    try { n = JSON.parse(e.data).missed; } catch (err) { n = "some"; }
    if (status) status.textContent = `live (${n} events skipped: too many at once)`;
  });
  source.onerror = () => { if (status) status.textContent = "reconnecting…"; };
}
