// The editor's small behaviours on top of htmx: autosave, the unsaved-changes warning,
// criterion names that follow renames, and finding links that move the focus.
// Everything here is an enhancement: without JavaScript the form still saves, and its
// add/remove/move buttons submit the form and come back with the rows changed.
(function () {
  "use strict";
  const form = document.getElementById("post-form");
  if (!form) return;
  const status = document.getElementById("save-status");
  const AUTOSAVE_DELAY = Number(form.dataset.autosaveDelay || 3000);
  let dirty = false;      // changes that are not stored anywhere yet
  let paused = false;     // autosave stopped after a conflict
  let timer = null;
  let saving = null;      // the autosave under way, if any

  function hhmm(iso) {
    return new Date(iso).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  }
  function say(text) { if (status) status.textContent = text; }

  for (const time of document.querySelectorAll("time.local-time")) {
    time.textContent = hhmm(time.getAttribute("datetime"));
  }

  function changed(event) {
    // A reply to a comment sits among the fields but belongs to its own small form.
    if (event && event.target && event.target.form && event.target.form !== form) return;
    dirty = true;
    if (paused) return;
    say("Unsaved changes");
    clearTimeout(timer);
    timer = setTimeout(autosave, AUTOSAVE_DELAY);
  }

  function autosave() {
    if (!dirty || paused) return;
    if (saving) { timer = setTimeout(autosave, 1000); return; }
    saving = store().finally(() => { saving = null; });
  }

  async function store() {
    const body = new FormData(form);
    body.delete("op");
    body.delete("action");
    dirty = false;
    say("Saving…");
    let response;
    try {
      response = await fetch(form.dataset.autosaveUrl, {
        method: "POST", body, headers: { Accept: "application/json" }, credentials: "same-origin",
      });
    } catch (err) {
      dirty = true;
      say("Not saved: no connection. Trying again shortly.");
      timer = setTimeout(autosave, 10000);
      return;
    }
    let data = {};
    try { data = await response.json(); } catch (err) { /* an HTML error page */ }
    if (response.ok) {
      form.elements.base_revision.value = data.base_revision;
      form.elements.working_version.value = data.working_version;
      if (data.created) {
        form.action = data.edit_url;
        form.dataset.autosaveUrl = data.autosave_url;
        history.replaceState(null, "", data.edit_url);
      }
      if (!dirty) say("Saved " + hhmm(data.saved_at));
      return;
    }
    dirty = true;
    if (response.status === 409) {
      paused = true;
      say("Not saved: " + (data.message || "this post changed elsewhere.") +
          " Press Save to compare the two versions and keep what you want.");
    } else if (data.problems) {
      say("Not autosaved: " + data.problems.map((p) => p.message).join(" "));
    } else {
      say("Not saved: " + (data.message || "the desk answered " + response.status + ".") +
          " Your text is still here.");
    }
  }

  form.addEventListener("input", changed);
  form.addEventListener("change", changed);
  form.addEventListener("submit", (event) => {
    if (event.submitter && event.submitter.formTarget === "_blank") return;  // Preview
    paused = true;
    clearTimeout(timer);
    if (saving) {
      // Let the autosave under way finish first: the save must carry the working-copy
      // version it produced, or it would look like a conflict with itself.
      event.preventDefault();
      const submitter = event.submitter;
      saving.then(() => form.requestSubmit(submitter));
      return;
    }
    dirty = false;
  });

  window.addEventListener("beforeunload", (event) => {
    if (dirty) {
      event.preventDefault();
      event.returnValue = "";
    }
  });

  // A row added, removed or moved by htmx is a change like any other.
  document.body.addEventListener("htmx:afterSwap", (event) => {
    if (event.detail.target && event.detail.target.id === "editor-rows") {
      changed();
      document.body.dispatchEvent(new Event("editor-changed"));
    }
  });

  // Renaming a criterion renames the note labels in every entry as you type.
  form.addEventListener("input", (event) => {
    const key = event.target.dataset && event.target.dataset.criterionName;
    if (!key) return;
    for (const label of form.querySelectorAll('[data-note-label="' + CSS.escape(key) + '"]')) {
      label.textContent = event.target.value || "unnamed criterion";
    }
  });

  // A finding's link moves the focus to its field (or the first field of its row).
  document.addEventListener("click", (event) => {
    const link = event.target.closest && event.target.closest("a[data-focus]");
    if (!link) return;
    const target = document.getElementById(link.dataset.focus);
    if (!target) return;
    event.preventDefault();
    const field = target.matches("input, textarea, select, button")
      ? target : target.querySelector("input:not([type=hidden]), textarea, select");
    (field || target).scrollIntoView({ block: "center" });
    if (field) field.focus(); else { target.tabIndex = -1; target.focus(); }
  });
})();
