// The editor's small behaviours on top of htmx: autosave, one save per press of Save or
// Submit, the unsaved-changes warning, criterion names that follow renames, and finding links
// that move the focus.
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
        // The post exists now: its heading is its title, no longer "New ranking".
        const heading = document.querySelector("main h1");
        const title = form.elements.title.value.trim();
        if (heading && title) {
          heading.textContent = title;
          document.title = document.title.replace(/^New ranking/, "Edit: " + title);
        }
      }
      if (!dirty) say("Draft autosaved " + hhmm(data.saved_at) + ", not yet a revision");
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

  // Only "input": every edit fires it. A "change" comes again when the field loses the focus,
  // as on the press of Save: calling that unsaved would change the status line under the
  // pointer, the bar would wrap anew and the button move away before the click ends.
  form.addEventListener("input", changed);

  // Save, and Save and submit. The form is sent by this script, once, after the autosave
  // under way (if any) has finished: the save must carry the working-copy version that
  // autosave produced, or it would look like a conflict with itself. The click is kept as
  // the name and value of its button, never as the button: the findings replace the submit
  // button whenever they come back. A second click while the save waits (a double click)
  // only changes which button it carries.
  const pressed = document.createElement("input");
  pressed.type = "hidden";
  let sending = false;
  form.addEventListener("submit", (event) => {
    const button = event.submitter;
    if (button && button.formTarget === "_blank") return;  // Preview
    event.preventDefault();
    pressed.name = button ? button.name : "";
    pressed.value = button ? button.value : "";
    if (sending) return;
    sending = true;
    paused = true;
    clearTimeout(timer);
    say("Saving…");
    Promise.resolve(saving).catch(() => {}).then(() => {
      clearTimeout(timer);  // an autosave that failed may have planned another
      if (pressed.name) form.append(pressed); else pressed.remove();
      dirty = false;
      form.submit();
    });
  });
  window.addEventListener("pageshow", (event) => {
    if (event.persisted) { sending = false; paused = false; pressed.remove(); }  // came back
  });

  // The findings disable Submit while they list errors, and may be a moment behind the text.
  // A disabled button swallows the click without a word, so with this script the button only
  // looks and reads disabled: a click on it saves, and the desk says what blocks the review
  // (or submits, if the findings were behind).
  function unblock() {
    const button = document.getElementById("submit-button");
    if (!button || !button.disabled) return;
    button.disabled = false;
    button.setAttribute("aria-disabled", "true");
  }
  unblock();
  document.body.addEventListener("htmx:oobAfterSwap", unblock);
  document.body.addEventListener("htmx:afterSwap", unblock);
  // desk.css draws it as Pico draws a disabled button.

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
