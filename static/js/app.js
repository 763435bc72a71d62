// attnscope page behaviour. Partials carry no inline script: everything is wired here,
// on htmx.onLoad, from data attributes. Figures arrive as JSON in [data-figure].
(function () {
  "use strict";

  const svgIcon = {
    width: 1000, height: 1000,
    path: "M100 100h800v800H100z M250 700l150-250 120 160 90-110 140 200z",
  };
  const plotConfig = {
    responsive: true,
    displaylogo: false,
    modeBarButtonsToRemove: ["lasso2d", "select2d", "autoScale2d"],
    toImageButtonOptions: { format: "png", scale: 2, filename: "attnscope" },
    modeBarButtonsToAdd: [{
      name: "Download plot as SVG",
      icon: svgIcon,
      click: (gd) => Plotly.downloadImage(gd, { format: "svg", filename: "attnscope" }),
    }],
  };

  function showStatus(message) {
    const box = document.getElementById("status");
    if (!box) return;
    box.textContent = message;  // text, never HTML
    box.hidden = !message;
  }

  // ---- figures -------------------------------------------------------------
  // htmx.onLoad hands us each new top-level element: it may itself be a figure.
  function within(root, selector) {
    const found = Array.from(root.querySelectorAll ? root.querySelectorAll(selector) : []);
    if (root.matches && root.matches(selector)) found.unshift(root);
    return found;
  }

  function drawFigures(root) {
    within(root, "[data-figure]").forEach((el) => {
      if (el.dataset.drawn) return;
      let fig;
      try {
        fig = JSON.parse(el.dataset.figure);
      } catch (err) {
        el.textContent = "This plot could not be read.";
        return;
      }
      el.dataset.drawn = "1";
      Plotly.newPlot(el, fig.data, fig.layout, plotConfig).then(() => {
        if (el.classList.contains("grid")) wireGridClicks(el);
        if (el.classList.contains("linked")) wireLinkedHover(el);
      });
    });
  }

  function purgeFigures(root) {
    if (!root || !root.querySelectorAll) return;
    root.querySelectorAll("[data-figure].js-plotly-plot").forEach((el) => Plotly.purge(el));
  }

  // Model view: clicking a small multiple opens that head in the explorer.
  function wireGridClicks(el) {
    el.on("plotly_click", (ev) => {
      const meta = ev.points && ev.points[0] && ev.points[0].data.meta;
      if (!meta) return;
      const link = document.querySelector(
        `.grid-links .picker:nth-child(${meta[0] + 1}) a:nth-of-type(${meta[1] + 1})`);
      if (link) link.click();
    });
  }

  // Compare view: hovering a cell highlights the same tokens' rows and columns in all three plots.
  function wireLinkedHover(el) {
    el.on("plotly_hover", (ev) => {
      const p = ev.points && ev.points[0];
      if (!p) return;
      const meta = el.layout.meta || {};
      const picked = {};
      picked[meta.rowSide] = p.y;
      if (meta.colSide !== meta.rowSide) picked[meta.colSide] = p.x;
      document.querySelectorAll(".figure.linked.js-plotly-plot").forEach((other) => {
        const m = other.layout.meta || {};
        const shapes = [];
        const line = { color: "#ff7f0e", width: 2 };
        if (picked[m.rowSide] !== undefined) {
          shapes.push({ type: "rect", xref: "paper", x0: 0, x1: 1, yref: "y",
            y0: picked[m.rowSide] - 0.5, y1: picked[m.rowSide] + 0.5, line: line });
        }
        if (picked[m.colSide] !== undefined) {
          shapes.push({ type: "rect", yref: "paper", y0: 0, y1: 1, xref: "x",
            x0: picked[m.colSide] - 0.5, x1: picked[m.colSide] + 0.5, line: line });
        }
        Plotly.relayout(other, { shapes: shapes });
      });
    });
    el.on("plotly_unhover", () => {
      document.querySelectorAll(".figure.linked.js-plotly-plot").forEach((o) => Plotly.relayout(o, { shapes: [] }));
    });
  }

  // ---- heads table: click a column header to sort ---------------------------
  function wireSortable(root) {
    within(root, "table.sortable").forEach((table) => {
      if (table.dataset.wired) return;
      table.dataset.wired = "1";
      table.querySelectorAll("th button[data-sort]").forEach((button) => {
        button.addEventListener("click", () => sortTable(table, button));
      });
    });
  }

  function sortTable(table, button) {
    const index = Number(button.dataset.sort);
    const numeric = button.dataset.numeric === "true";
    const th = button.closest("th");
    const ascending = th.getAttribute("aria-sort") !== "ascending";
    table.querySelectorAll("th").forEach((h) => h.setAttribute("aria-sort", "none"));
    th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    const body = table.tBodies[0];
    const rows = Array.from(body.rows);
    const key = (row) => {
      const cell = row.cells[index];
      return numeric ? Number(cell.dataset.value ?? cell.textContent) : cell.textContent.trim();
    };
    rows.sort((a, b) => {
      const x = key(a), y = key(b);
      const order = numeric ? x - y : String(x).localeCompare(String(y));
      return ascending ? order : -order;
    });
    rows.forEach((row) => body.appendChild(row));
  }

  // ---- the sentence form ------------------------------------------------------
  function wireInput() {
    const form = document.getElementById("sentence-form");
    const text = document.getElementById("text");
    if (!form || !text || form.dataset.wired) return;
    form.dataset.wired = "1";
    text.addEventListener("keydown", (ev) => {
      if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing) {
        ev.preventDefault();
        form.requestSubmit();
      }
    });
    document.querySelectorAll("button.example").forEach((button) => {
      button.addEventListener("click", () => {
        text.value = button.dataset.text;
        form.requestSubmit();
      });
    });
  }

  // A new sentence keeps the current view, kind, layer and head from the URL.
  document.addEventListener("htmx:configRequest", (ev) => {
    if (ev.detail.elt.id !== "sentence-form") return;
    const current = new URLSearchParams(window.location.search);
    ["view", "kind", "layer", "head", "stack"].forEach((name) => {
      if (current.has(name)) ev.detail.parameters[name] = current.get(name);
    });
  });

  // ---- keyboard: arrows change head (←/→) and layer (↑/↓) in the explorer -----
  document.addEventListener("keydown", (ev) => {
    if (ev.altKey || ev.ctrlKey || ev.metaKey) return;
    const tag = (ev.target.tagName || "").toLowerCase();
    if (["input", "textarea", "select"].includes(tag) || ev.target.isContentEditable) return;
    const picker = document.getElementById("head-picker");
    if (!picker) return;
    const axis = { ArrowLeft: ["head", -1], ArrowRight: ["head", 1], ArrowUp: ["layer", -1], ArrowDown: ["layer", 1] }[ev.key];
    if (!axis) return;
    const links = Array.from(picker.querySelectorAll(`[data-axis="${axis[0]}"] a`));
    const current = links.findIndex((a) => a.getAttribute("aria-current") === "true");
    const next = links[current + axis[1]];
    if (next) {
      ev.preventDefault();
      next.click();
      // keep the focus on the matching control after the swap
      const label = next.textContent;
      document.addEventListener("htmx:afterSettle", function refocus() {
        document.removeEventListener("htmx:afterSettle", refocus);
        const again = Array.from(document.querySelectorAll(`#head-picker [data-axis="${axis[0]}"] a`))
          .find((a) => a.textContent === label);
        if (again && picker.contains(document.activeElement)) again.focus();
      });
    }
  });

  // ---- errors and loading -------------------------------------------------------
  document.addEventListener("htmx:beforeRequest", () => showStatus(""));
  document.addEventListener("htmx:responseError", (ev) => {
    const status = ev.detail.xhr ? ev.detail.xhr.status : 0;
    let message = `The server could not answer (HTTP ${status}). Your text is kept; try again.`;
    try {
      const body = JSON.parse(ev.detail.xhr.responseText);
      if (body && body.error && body.error.message) message = body.error.message;
    } catch (err) { /* not JSON: keep the generic message */ }
    showStatus(message);
  });
  document.addEventListener("htmx:sendError", () => {
    showStatus("The server can’t be reached. Your text is kept; try again when it is back.");
  });
  document.addEventListener("htmx:beforeSwap", (ev) => purgeFigures(ev.detail.target));

  htmx.onLoad((root) => {
    drawFigures(root);
    wireSortable(root);
    wireInput();
  });
})();
