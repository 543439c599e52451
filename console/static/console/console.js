/* Console pages: live refresh by polling, waiting for a station, remote actions and their results. */
"use strict";

const Console = {
  csrfToken() {
    const input = document.querySelector("input[name=csrfmiddlewaretoken]");
    if (input) return input.value;
    const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  },

  randomPassword(length) {
    // Letters and digits only: some station portals mangle punctuation.
    const alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
    const bytes = new Uint8Array(length);
    crypto.getRandomValues(bytes);
    return Array.from(bytes, (b) => alphabet[b % alphabet.length]).join("");
  },

  async getJSON(url) {
    const response = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
    if (!response.ok) throw new Error(`${response.status} ${response.statusText}`);
    return response.json();
  },

  // <div data-refresh="?fragment=name" data-refresh-seconds="10">: re-render the block in place.
  startRefresh(element) {
    const seconds = Number(element.dataset.refreshSeconds || 10);
    const tick = async () => {
      // Don't pull the rug from under someone editing a form inside the block.
      if (!element.contains(document.activeElement) || document.activeElement === document.body) {
        try {
          const response = await fetch(element.dataset.refresh, { credentials: "same-origin" });
          if (response.ok) element.innerHTML = await response.text();
        } catch (e) { /* offline for a moment: try again next tick */ }
      }
      element._refreshTimer = setTimeout(tick, seconds * 1000);
    };
    element._refreshTimer = setTimeout(tick, seconds * 1000);
  },

  refreshNow(element) {
    clearTimeout(element._refreshTimer);
    element.dataset.refreshSeconds = element.dataset.refreshSeconds || "10";
    fetch(element.dataset.refresh, { credentials: "same-origin" })
      .then((r) => (r.ok ? r.text() : Promise.reject(r)))
      .then((html) => { element.innerHTML = html; })
      .catch(() => {})
      .finally(() => Console.startRefresh(element));
  },

  waitForStation(box) {
    const state = box.querySelector("#wait-state"), error = box.querySelector("#wait-error");
    const poll = async () => {
      try {
        const s = await Console.getJSON(box.dataset.statusUrl);
        if (s.state === "onboarded" && s.connected) {
          state.className = "ok";
          state.textContent = `Onboarded: ${[s.vendor, s.model].filter(Boolean).join(" ") || s.identity} is connected` +
            (s.ocpp_version ? ` (OCPP ${s.ocpp_version}).` : ".");
          error.hidden = true;
        } else if (s.connected) {
          state.className = "waiting";
          state.textContent = "Connected: waiting for the station's BootNotification…";
          error.hidden = true;
        } else {
          state.className = "waiting";
          state.textContent = s.state === "onboarded"
            ? "Onboarded, but the station is not connected right now. Waiting…"
            : `Waiting for ${s.identity} to connect…`;
          if (s.last_connection_error) {
            error.hidden = false;
            error.textContent = `The last attempt failed: ${s.last_connection_error}`;
          }
        }
      } catch (e) { /* keep waiting */ }
      setTimeout(poll, 2000);
    };
    poll();
  },

  // <form data-action>: post a remote action, then follow the command until it has a result.
  async submitAction(form) {
    const result = document.getElementById("action-result");
    const dialog = form.closest("dialog");
    // The box shows the newest action only: an earlier command still being followed must not
    // overwrite it (its poll stops once the box belongs to a newer action).
    const turn = String((Number(result.dataset.turn) || 0) + 1);
    result.dataset.turn = turn;
    result.hidden = false;
    result.className = "command-result waiting";
    result.textContent = "Sending…";
    try {
      const response = await fetch(form.action, {
        method: "POST",
        body: new FormData(form),
        headers: { Accept: "application/json", "X-CSRFToken": Console.csrfToken() },
        credentials: "same-origin",
      });
      const data = await response.json().catch(() => ({ error: `${response.status} ${response.statusText}` }));
      if (dialog) dialog.close();
      if (result.dataset.turn !== turn) return;
      if (!response.ok) {
        result.className = "command-result failed";
        result.textContent = data.error || JSON.stringify(data);
        return;
      }
      Console.followCommand(data, result, turn);
    } catch (e) {
      if (result.dataset.turn !== turn) return;
      result.className = "command-result failed";
      result.textContent = `Could not send: ${e.message}`;
    }
  },

  // A background export (sessions app API): poll it and offer its file once done.
  followExport(url, box) {
    const poll = async () => {
      let e;
      try { e = await Console.getJSON(url); } catch (err) { setTimeout(poll, 1500); return; }
      box.dataset.status = e.status;
      if (e.status === "done") {
        box.className = "command-result ok";
        box.textContent = `Export done: ${e.row_count} session${e.row_count === 1 ? "" : "s"}. `;
        const link = document.createElement("a");
        link.href = e.download_url || `${url}download/`;
        link.id = "export-download";
        link.textContent = "Download the file";
        box.append(link);
        return;
      }
      if (e.status === "failed") {
        box.className = "command-result failed";
        box.textContent = `Export failed: ${e.error || "unknown error"}`;
        return;
      }
      box.className = "command-result waiting";
      box.textContent = `Exporting… ${e.progress || 0}%` + (e.total_rows != null ? ` of ${e.total_rows} sessions` : "");
      setTimeout(poll, 1000);
    };
    poll();
  },

  followCommand(command, result, turn) {
    const current = () => turn === undefined || result.dataset.turn === turn;
    const show = (c) => {
      result.dataset.status = c.status;
      result.className = `command-result ${c.done ? (c.ok ? "ok" : "failed") : "waiting"}`;
      result.textContent = `${c.label}: ${c.status_display}${c.detail ? ` — ${c.detail}` : ""}`;
      if (c.progress != null && !c.done) result.textContent += ` (${c.progress}%)`;
    };
    show(command);
    if (command.done || !command.status_url) return;
    const poll = async () => {
      if (!current()) return;
      try {
        const c = await Console.getJSON(command.status_url);
        if (!current()) return;
        show(c);
        if (c.done) {
          document.querySelectorAll("[data-refresh]").forEach(Console.refreshNow);
          return;
        }
      } catch (e) { /* try again */ }
      setTimeout(poll, 1000);
    };
    setTimeout(poll, 500);
  },
};

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("[data-refresh]").forEach((el) => Console.startRefresh(el));
  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (form.matches("form[data-action]")) {
      event.preventDefault();
      Console.submitAction(form);
    }
  });
  document.addEventListener("click", (event) => {
    const opener = event.target.closest("[data-open-dialog]");
    if (opener) {
      event.preventDefault();
      const dialog = document.getElementById(opener.dataset.openDialog);
      for (const [key, value] of Object.entries(opener.dataset)) {
        // data-set-evse="1" fills the dialog's field named evse.
        if (key.startsWith("set")) {
          const field = dialog.querySelector(`[name=${key.slice(3).toLowerCase()}]`);
          if (field) field.value = value;
        }
      }
      dialog.showModal();
      return;
    }
    if (event.target.closest("[data-close-dialog]")) {
      event.target.closest("dialog").close();
      return;
    }
    const row = event.target.closest("tr[data-href]");
    if (row && !event.target.closest("a, button, input, select")) window.location = row.dataset.href;
  });
});

window.Console = Console;
