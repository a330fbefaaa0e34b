// The editor's small behaviours on top of htmx: autosave, one save per press of Save or
// Submit, the unsaved-changes warning, criterion names that follow renames, finding links
// that move the focus, cards that keep their folding and their one-line summaries current,
// and rows that move by dragging.
// Everything here is an enhancement: without JavaScript the form still saves, and its
// add/remove/move buttons submit the form and come back with the rows changed.
(function () {
  "use strict";
  const form = document.getElementById("post-form");
  if (!form) return;
  document.documentElement.classList.add("js");  // shows what only works with this script
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
        // The findings and the rows ask about this post now (its own slug is not "taken").
        if (!form.elements.post_id) {
          const id = document.createElement("input");
          id.type = "hidden";
          id.name = "post_id";
          form.append(id);
        }
        form.elements.post_id.value = data.post_id;
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
      restoreFolding(document.getElementById("editor-rows"));
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

  // A finding's link moves the focus to its field (or the first field of its row), unfolding
  // the card it is in.
  function unfold(element) {
    for (let node = element; node; node = node.parentElement) {
      if (node.tagName === "DETAILS" && !node.open) node.open = true;
    }
  }
  document.addEventListener("click", (event) => {
    const link = event.target.closest && event.target.closest("a[data-focus]");
    if (!link) return;
    const target = document.getElementById(link.dataset.focus);
    if (!target) return;
    event.preventDefault();
    unfold(target);
    const field = target.matches("input, textarea, select, button")
      ? target : target.querySelector("input:not([type=hidden]), textarea, select");
    if (field) unfold(field);
    (field || target).scrollIntoView({ block: "center" });
    if (field) field.focus(); else { target.tabIndex = -1; target.focus(); }
  });

  // The outline's links jump to a section or a card, folded or not, and put the focus there.
  document.addEventListener("click", (event) => {
    const link = event.target.closest && event.target.closest("a[data-jump]");
    if (!link) return;
    const target = document.getElementById(link.hash.slice(1));
    if (!target) return;
    event.preventDefault();
    const summary = target.matches("fieldset.card") && target.querySelector("summary");
    const heading = target.querySelector("h2, legend");
    const focus = summary || (target.matches("input, textarea") ? target : heading || target);
    if (!focus.matches("summary, input, textarea")) focus.tabIndex = -1;
    target.scrollIntoView({ block: "start" });
    focus.focus({ preventScroll: true });
  });

  // Fold or unfold every card at once (the outline's buttons).
  document.addEventListener("click", (event) => {
    const button = event.target.closest && event.target.closest("button[data-fold]");
    if (!button) return;
    const open = button.dataset.fold === "open";
    for (const details of form.querySelectorAll("fieldset.card > details")) details.open = open;
  });

  // Each card's summary follows what is typed: its name, and an entry's notes and pick-else.
  function summarise(card) {
    const notes = card.querySelectorAll("textarea[data-note]");
    const shown = card.querySelector("[data-notes]");
    if (shown) {
      const written = [...notes].filter((note) => note.value.trim()).length;
      shown.textContent = written + " of " + notes.length + " criteria";
    }
    const pickElse = card.querySelector("textarea[name$='-pick_else']");
    const said = card.querySelector("[data-pick-else]");
    if (said && pickElse) said.textContent = pickElse.value.trim() ? "pick-else ✓" : "no pick-else yet";
  }
  form.addEventListener("input", (event) => {
    const field = event.target;
    if (!field.id) return;
    for (const echo of form.querySelectorAll('[data-echo="' + CSS.escape(field.id) + '"]')) {
      echo.textContent = field.value.trim() || echo.dataset.empty;
    }
    const card = field.closest("fieldset.card.entry");
    if (card) summarise(card);
  });

  // Each card's count of findings comes from the outline, whenever the findings come back.
  function countFindings() {
    for (const place of form.querySelectorAll("[data-findings]")) {
      const count = document.querySelector('#findings [data-count="' + place.dataset.findings + '"]');
      const total = count ? Number(count.dataset.total) : 0;
      place.textContent = total ? " · " + total + " finding" + (total === 1 ? "" : "s") : "";
    }
  }

  // The side column's two lists keep their scroll position when the findings come back.
  let scrolled = [];
  document.body.addEventListener("htmx:beforeSwap", (event) => {
    if (event.detail.target && event.detail.target.id === "findings") {
      scrolled = [...event.detail.target.querySelectorAll(".editor-outline, .findings-panel")]
        .map((part) => part.scrollTop);
    }
  });
  document.body.addEventListener("htmx:afterSwap", (event) => {
    if (!event.detail.target || event.detail.target.id !== "findings") return;
    event.detail.target.querySelectorAll(".editor-outline, .findings-panel").forEach((part, i) => {
      part.scrollTop = scrolled[i] || 0;
    });
    countFindings();
  });

  // Cards keep the folding the writer gave them when the rows come back re-rendered after an
  // add, a move or a removal: each row's state follows the row to its new place.
  const OP = /^(add|remove|up|down|move)-(criteria|entries|takeaways|faq)(?:-(\d+))?(?:-to-(\d+))?$/;
  let pendingOp = "";
  let folding = null;
  document.body.addEventListener("htmx:beforeRequest", (event) => {
    const elt = event.detail.elt;
    if (elt && elt.name === "op") pendingOp = elt.value;
  });
  document.body.addEventListener("htmx:beforeSwap", (event) => {
    if (!event.detail.target || event.detail.target.id !== "editor-rows") return;
    folding = {};
    for (const section of event.detail.target.querySelectorAll("section[data-kind]")) {
      folding[section.dataset.kind] = [...section.querySelectorAll(":scope > fieldset.card > details")]
        .map((details) => details.open);
    }
  });
  function afterOp(op, states) {
    const match = OP.exec(op);
    const order = states.map((_, i) => i);
    if (!match) return order.map((i) => states[i]);
    const verb = match[1], index = Number(match[3] || 0);
    if (verb === "remove") order.splice(index, 1);
    else if (verb === "up" && index > 0) order.splice(index - 1, 2, index, index - 1);
    else if (verb === "down" && index + 1 < order.length) order.splice(index, 2, index + 1, index);
    else if (verb === "move") order.splice(Number(match[4]), 0, ...order.splice(index, 1));
    return order.map((i) => states[i]);
  }
  function restoreFolding(rows) {
    if (!folding) return;
    const kind = (OP.exec(pendingOp) || [])[2];
    for (const section of rows.querySelectorAll("section[data-kind]")) {
      const before = folding[section.dataset.kind] || [];
      const states = section.dataset.kind === kind ? afterOp(pendingOp, before) : before;
      section.querySelectorAll(":scope > fieldset.card > details").forEach((details, i) => {
        if (i < states.length) details.open = states[i];
      });
    }
    folding = null;
    pendingOp = "";
  }

  // Dragging a card by its handle moves it (the same request as its arrow buttons, which
  // remain the way to move a row from the keyboard).
  let dragged = null;
  document.addEventListener("mousedown", (event) => {
    const handle = event.target.closest && event.target.closest(".drag-handle");
    const card = handle && handle.closest("fieldset.card");
    if (card) card.draggable = true;
  });
  document.addEventListener("mouseup", () => {
    if (dragged) return;
    for (const card of form.querySelectorAll("fieldset.card[draggable=true]")) card.draggable = false;
  });
  function dropPlace(event) {
    const over = event.target.closest && event.target.closest("fieldset.card");
    if (!dragged || !over || over === dragged || over.parentElement !== dragged.parentElement) return null;
    const box = over.getBoundingClientRect();
    return { over, after: event.clientY > box.top + box.height / 2 };
  }
  function clearMarks() {
    for (const card of form.querySelectorAll(".drop-before, .drop-after")) {
      card.classList.remove("drop-before", "drop-after");
    }
  }
  form.addEventListener("dragstart", (event) => {
    const card = event.target.closest && event.target.closest("fieldset.card");
    if (!card || !card.draggable) return;
    dragged = card;
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", card.id);
    card.classList.add("dragging");
  });
  form.addEventListener("dragover", (event) => {
    const place = dropPlace(event);
    if (!place) return;
    event.preventDefault();
    clearMarks();
    place.over.classList.add(place.after ? "drop-after" : "drop-before");
  });
  form.addEventListener("drop", (event) => {
    const place = dropPlace(event);
    if (!place) return;
    event.preventDefault();
    const from = Number(dragged.dataset.index), at = Number(place.over.dataset.index);
    const to = place.after ? (at >= from ? at : at + 1) : (at > from ? at - 1 : at);
    const kind = dragged.parentElement.dataset.kind;
    if (to === from || !kind) return;
    pendingOp = "move-" + kind + "-" + from + "-to-" + to;
    const rows = document.getElementById("editor-rows");
    htmx.ajax("POST", rows.dataset.rowsUrl, {
      source: form, target: "#editor-rows", swap: "outerHTML", values: { op: pendingOp },
    });
  });
  form.addEventListener("dragend", () => {
    if (dragged) { dragged.classList.remove("dragging"); dragged.draggable = false; }
    dragged = null;
    clearMarks();
  });
})();
