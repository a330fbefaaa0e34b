// The editor's grid of weights and scores (templates/editor/_score_grid.html): the arrow keys
// and Enter move between its cells as in a spreadsheet, each entry's weighted total follows
// what is typed, and a changed weight or score asks the desk again who ranks first under
// which weighting (the "scores-changed" event #weightings listens for).
// Without this script the grid is a plain set of inputs, saved and checked like any other.
(function () {
  "use strict";

  function number(text) {
    const value = Number(String(text || "").trim().replace(",", "."));
    return String(text || "").trim() === "" || !Number.isFinite(value) ? null : value;
  }
  function shown(value) {
    return (Math.round(value * 100) / 100).toLocaleString(document.documentElement.lang || "en");
  }

  // Each entry's total: the weighted mean of its scores on the weighted criteria, as the rules
  // and the published page compute it; a dash while a weighted criterion has no score.
  function recompute(grid) {
    const weights = [...grid.querySelectorAll("input[data-weight]")].map((input) => number(input.value));
    const whole = weights.reduce((sum, w) => sum + (w && w > 0 ? w : 0), 0);
    for (const row of grid.tBodies[0].rows) {
      const out = row.querySelector("output[data-total]");
      if (!out) continue;
      const scores = [...row.querySelectorAll("input[data-score]")].map((input) => number(input.value));
      let total = 0, complete = whole > 0;
      weights.forEach((w, i) => {
        if (w === null || w <= 0) return;
        if (scores[i] === null) complete = false; else total += w * scores[i];
      });
      out.textContent = complete ? shown(total / whole) : "–";
    }
  }
  function recomputeAll() {
    for (const grid of document.querySelectorAll("table[data-score-grid]")) recompute(grid);
  }

  let asked = null;
  document.addEventListener("input", (event) => {
    const field = event.target;
    if (!field.matches || !field.matches("input[data-weight], input[data-score], #scale_min, #scale_max")) return;
    const grid = field.closest("table[data-score-grid]");
    if (grid) recompute(grid);
    clearTimeout(asked);
    asked = setTimeout(() => document.body.dispatchEvent(new Event("scores-changed")), 0);
  });

  // Up, Down and Enter (Shift+Enter: up) go to the same column of the row above or below;
  // Left and Right leave a cell only from the start or the end of its text. Enter never
  // submits the form from here (it would save the whole post).
  document.addEventListener("keydown", (event) => {
    const input = event.target;
    if (!input.matches || !input.matches("table[data-score-grid] input")) return;
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    const rows = [...input.closest("table").rows].filter((row) => row.querySelector("input"));
    const r = rows.indexOf(input.closest("tr"));
    const c = [...rows[r].querySelectorAll("input")].indexOf(input);
    const atStart = input.selectionStart === 0 && input.selectionEnd === 0;
    const atEnd = input.selectionStart === input.value.length && input.selectionEnd === input.value.length;
    let to = null;
    if (event.key === "ArrowUp" || (event.key === "Enter" && event.shiftKey)) to = [r - 1, c];
    else if (event.key === "ArrowDown" || event.key === "Enter") to = [r + 1, c];
    else if (event.key === "ArrowLeft" && atStart) to = [r, c - 1];
    else if (event.key === "ArrowRight" && atEnd) to = [r, c + 1];
    if (event.key === "Enter") event.preventDefault();
    if (!to) return;
    const row = rows[to[0]];
    const target = row && row.querySelectorAll("input")[to[1]];
    if (!target) return;
    event.preventDefault();
    target.focus();
    target.select();
  });

  recomputeAll();
  // The rows (and the grid with them) come back re-rendered after a row is added or moved.
  document.body.addEventListener("htmx:afterSwap", (event) => {
    if (event.detail.target && event.detail.target.id === "editor-rows") recomputeAll();
  });
})();
