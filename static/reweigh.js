// "Weight the criteria yourself" on a scored ranking page: the reader's weights re-order the
// entries live, and the page says where that order and the author's differ. The page works
// without this script (the score table and the author's weights are in the HTML); nothing is
// stored, and the weights can be shared as a link (?w0=…&w1=…#reweigh).
(() => {
  "use strict";
  const form = document.getElementById("reweigh");
  const table = document.getElementById("scores");
  if (!form || !table) return;
  const inputs = Array.from(form.querySelectorAll("input[type=number]"));
  const result = document.getElementById("reweigh-result");
  const share = document.getElementById("reweigh-share");
  const entries = Array.from(table.tBodies[0].rows).map((row) => ({
    rank: Number(row.dataset.rank),
    name: row.dataset.name,
    scores: row.dataset.scores.split(" ").map(Number),
  }));
  const shown = (value) => String(Math.round(value * 100) / 100);

  const query = new URLSearchParams(window.location.search);
  for (const input of inputs) {
    const asked = Number(query.get(input.name));
    if (query.has(input.name) && Number.isFinite(asked) && asked >= 0) input.value = String(asked);
  }

  function weights() {
    return inputs.map((input) => {
      const value = Number(input.value);
      return Number.isFinite(value) && value > 0 ? value : 0;
    });
  }

  function update() {
    const w = weights();
    const sum = w.reduce((a, b) => a + b, 0);
    const link = new URLSearchParams();
    inputs.forEach((input, i) => link.set(input.name, shown(w[i])));
    share.href = `?${link}#reweigh`;
    result.replaceChildren();
    if (sum <= 0) {
      const p = document.createElement("p");
      p.textContent = "Give at least one criterion a weight above 0.";
      result.append(p);
      return;
    }
    const order = entries
      .map((entry) => ({
        entry,
        total: entry.scores.reduce((acc, score, k) => acc + score * w[k], 0) / sum,
      }))
      .sort((a, b) => b.total - a.total || a.entry.rank - b.entry.rank);
    const moved = order.filter((item, i) => item.entry.rank !== i + 1);
    const summary = document.createElement("p");
    if (moved.length === 0) {
      summary.textContent = "Your weights give the author's order.";
    } else {
      const first = order[0].entry;
      summary.textContent =
        first.rank === 1
          ? `Your weights keep ${first.name} first; ${moved.length} entries change places.`
          : `Under your weights ${first.name} ranks first (the author ranks it #${first.rank}); ` +
            `${moved.length} entries change places.`;
    }
    const list = document.createElement("ol");
    list.setAttribute("aria-label", "The order under your weights");
    order.forEach((item, i) => {
      const li = document.createElement("li");
      const link = document.createElement("a");
      link.href = `#entry-${item.entry.rank}`;
      link.textContent = item.entry.name;
      li.append(link, ` · ${shown(item.total)}`);
      if (item.entry.rank !== i + 1) li.append(` (author's #${item.entry.rank})`);
      list.append(li);
    });
    result.append(summary, list);
  }

  form.addEventListener("input", update);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    update();
  });
  // A reset puts the author's weights back after the event: update once they are there.
  form.addEventListener("reset", () => window.setTimeout(update));
  form.hidden = false;
  update();
})();
