// The seller's reports page: start a report for every segment or one,
// follow running reports, list past ones and read one: per segment, who
// it is and what it likes, and the seller's items ranked for it.
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const keyName = "atelier.sellerKey"; // shared with the seller page
  const errorBox = $("error");
  const finished = new Set(["succeeded", "failed", "cancelled"]);
  // Tables show this many rows at a time, so a report over thousands of
  // items does not put thousands of rows in the page at once.
  const pageRows = 100;
  let segmentNames = {};
  let pollTimer = null;
  let openID = "";
  // redesigns[segmentID][itemID] is the newest redesign job of the open
  // report's item for the segment (GET /reports/{id}/redesigns); rerender
  // holds each segment's table redraw, so jobs fill in as they finish.
  let redesigns = {};
  const rerender = {};
  let redesignTimer = null;

  const key = () => sessionStorage.getItem(keyName) || "";
  const authed = (method, path, opts = {}) => {
    if (!key()) return Promise.reject(new Error("Enter your API key first."));
    opts.headers = Object.assign({ Authorization: "Bearer " + key() }, opts.headers || {});
    return api(method, path, opts);
  };
  const reportPath = (id) => "/api/v1/reports/" + encodeURIComponent(id);

  $("api-key").value = key();
  $("key-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const v = $("api-key").value.trim();
    if (v) sessionStorage.setItem(keyName, v); else sessionStorage.removeItem(keyName);
    refresh();
  });
  $("refresh").addEventListener("click", refresh);
  $("start-form").addEventListener("submit", startReport);
  $("csv-button").addEventListener("click", () => download("csv"));
  $("html-button").addEventListener("click", () => download("html"));

  async function refresh() {
    showError(errorBox, null);
    if (!key()) { $("key-state").textContent = "No key set."; return; }
    try {
      await loadSegments();
      await loadReports();
      $("key-state").textContent = "Key accepted.";
    } catch (e) {
      $("key-state").textContent = "";
      showError(errorBox, e);
    }
  }

  async function loadSegments() {
    const data = await authed("GET", "/api/v1/segments?limit=100");
    const sel = $("segment");
    const keep = sel.value;
    sel.replaceChildren(el("option", { value: "", text: "All segments" }));
    segmentNames = {};
    for (const s of data.segments) {
      segmentNames[s.id] = s.name;
      sel.append(el("option", { value: s.id, text: s.name + " (" + s.size + " consumers)" }));
    }
    sel.value = keep;
  }

  async function startReport(ev) {
    ev.preventDefault();
    showError(errorBox, null);
    const body = {};
    if ($("segment").value) body.segment_id = $("segment").value;
    $("start-button").disabled = true;
    try {
      await authed("POST", "/api/v1/reports", { body });
      await loadReports();
    } catch (e) {
      showError(errorBox, e);
    } finally {
      $("start-button").disabled = false;
    }
  }

  // loadReports lists the newest reports and, while any is still running,
  // polls again so their progress moves without a reload.
  async function loadReports() {
    const data = await authed("GET", "/api/v1/reports?limit=" + pageRows);
    const body = $("reports");
    body.replaceChildren(...data.reports.map(reportRow));
    $("no-reports").hidden = data.reports.length > 0;
    clearTimeout(pollTimer);
    if (data.reports.some((r) => !finished.has(r.status))) pollTimer = setTimeout(pollRunning, 1000);
  }

  async function pollRunning() {
    try {
      await loadReports();
    } catch (e) {
      showError(errorBox, e);
    }
  }

  function reportRow(r) {
    const p = r.progress || {};
    const bar = el("progress", { max: p.total > 0 ? p.total : 1, "aria-label": "Progress of report " + r.id.slice(0, 8) });
    bar.value = r.status === "succeeded" ? bar.max : (p.total > 0 ? p.step : 0);
    let stage = p.stage || "";
    if (p.total > 0 && !finished.has(r.status)) stage += " (" + p.step + " of " + p.total + ")";
    const open = r.status === "succeeded"
      ? el("button", { type: "button", class: "secondary", onclick: () => openReport(r.id) }, "Open") : null;
    return el("tr", { "data-report": r.id, "data-status": r.status },
      el("td", { text: new Date(r.created_at).toLocaleString() }),
      el("td", { text: r.segment_id ? (segmentNames[r.segment_id] || r.segment_id) : "All segments" }),
      el("td", { text: r.status + (r.error ? ": " + r.error : "") }),
      el("td", {}, bar, el("span", { class: "muted", text: stage })),
      el("td", {}, open));
  }

  // openReport reads a finished report; a result too large to be inlined
  // is read from its JSON export instead.
  async function openReport(id) {
    showError(errorBox, null);
    try {
      const r = await authed("GET", reportPath(id));
      const doc = r.result || await authed("GET", reportPath(id) + ".json");
      openID = id;
      redesigns = {};
      showReport(r, doc);
      $("report-title").focus();
      await loadRedesigns(doc);
    } catch (e) {
      showError(errorBox, e);
    }
  }

  // loadRedesigns reads the redesigns of the report's items for each
  // segment, redraws the tables, and polls again while any runs.
  async function loadRedesigns(doc) {
    clearTimeout(redesignTimer);
    const id = openID;
    let running = false;
    for (const s of doc.segments) {
      const data = await authed("GET", reportPath(id) + "/redesigns?segment_id=" + encodeURIComponent(s.id));
      if (id !== openID) return; // another report was opened meanwhile
      redesigns[s.id] = Object.fromEntries(data.redesigns.map((j) => [j.item_id, j]));
      running = running || data.redesigns.some((j) => !finished.has(j.status));
      if (rerender[s.id]) rerender[s.id]();
    }
    if (running) redesignTimer = setTimeout(() => loadRedesigns(doc).catch((e) => showError(errorBox, e)), 2000);
  }

  // redesignFrom asks the service to redesign items of the open report
  // for a segment: {n} for its bottom n, {item_ids} for chosen ones.
  async function redesignFrom(doc, segmentID, body, button) {
    showError(errorBox, null);
    button.disabled = true;
    try {
      await authed("POST", reportPath(openID) + "/redesigns", { body: Object.assign({ segment_id: segmentID }, body) });
      await loadRedesigns(doc);
    } catch (e) {
      showError(errorBox, e);
    } finally {
      button.disabled = false;
    }
  }

  function showReport(r, doc) {
    $("report").hidden = false;
    $("report").setAttribute("data-report", r.id);
    $("report-meta").textContent = doc.segments.length + " segments, " + doc.items.length + " of your items, ranked against " +
      doc.catalog_size + " catalog items; made " + new Date(r.created_at).toLocaleString() + ".";
    const none = doc.items.length === 0;
    $("report-empty").hidden = !none || (doc.notes || []).length > 0;
    for (const id of ["heat-title", "heat-legend", "heat"]) $(id).hidden = none;
    $("download-state").textContent = "";
    showHeat(doc, 0);
    $("report-notes").replaceChildren(...(doc.notes || []).map((n) => el("p", { class: "note", text: n })));
    $("segments").replaceChildren(...doc.segments.map((s) => segmentView(s, doc)));
  }

  // showHeat draws the items × segments percentiles as a table whose cells
  // are shaded by percentile: the heat map of the HTML export, without
  // anything to fetch.
  function showHeat(doc, page) {
    const rows = doc.items.slice(page * pageRows, (page + 1) * pageRows);
    const head = el("tr", {}, el("th", { scope: "col", text: "Item" }),
      ...doc.segments.map((s) => el("th", { scope: "col", text: s.name })));
    const body = rows.map((it) => {
      const by = Object.fromEntries(it.segments.map((sc) => [sc.segment_id, sc]));
      return el("tr", {}, el("th", { scope: "row", text: itemName(it) }),
        ...doc.segments.map((s) => heatCell(by[s.id])));
    });
    $("heat").replaceChildren(el("thead", {}, head), el("tbody", {}, ...body));
    pager($("heat-pager"), doc.items.length, page, (p) => showHeat(doc, p));
  }

  function heatCell(sc) {
    if (!sc) return el("td", { text: "–" });
    // Light at 0, the page's accent at 100: darker is liked more.
    const a = (sc.percentile / 100).toFixed(2);
    return styled(el("td", { class: "num", text: sc.percentile.toFixed(0) }), {
      background: "rgba(59, 76, 202, " + a + ")", color: sc.percentile > 55 ? "#fff" : "inherit" });
  }

  // segmentView shows who a segment is (size, taste in words and its
  // favourite catalog items) and the seller's items ranked for it, with
  // redesign actions for those in its bottom half.
  function segmentView(s, doc) {
    const ranked = doc.items
      .map((it) => ({ it, sc: it.segments.find((x) => x.segment_id === s.id) }))
      .filter((x) => x.sc)
      .sort((a, b) => a.sc.rank - b.sc.rank);
    const table = el("table", { class: "table ranked", "aria-label": "Your items ranked for " + s.name });
    const pages = el("div", { class: "row" });
    const box = el("section", { class: "segment", "data-segment": s.id },
      el("h3", { text: s.name }),
      el("p", { class: "muted", text: s.members + " consumers" }),
      el("p", { class: "taste", text: s.taste && s.taste.summary ? s.taste.summary : "" }),
      el("ul", { class: "favourites", "aria-label": "What " + s.name + " likes most" },
        ...(s.top_item_ids || []).slice(0, 8).map((id) => el("li", {},
          pixelImage("/api/v1/items/" + encodeURIComponent(id) + "/thumbnail", "A catalog item " + s.name + " likes")))),
      doc.items.length ? chartImage(reportPath(openID) + "/charts/distribution.svg?segment_id=" + encodeURIComponent(s.id),
        "How your items rank with " + s.name + ", against the catalog") : null,
      bottomForm(s, doc, ranked), table, pages);
    let current = 0;
    const show = (page) => {
      current = page;
      table.replaceChildren(
        el("thead", {}, el("tr", {}, ...["Rank", "Item", "Category", "Percentile", "Redesign"].map((h) => el("th", { scope: "col", text: h })))),
        el("tbody", {}, ...ranked.slice(page * pageRows, (page + 1) * pageRows).map((x) => rankedRow(x.it, x.sc, s.id, doc))));
      pager(pages, ranked.length, page, show);
    };
    rerender[s.id] = () => show(current);
    show(0);
    return box;
  }

  // bottomForm offers "redesign the bottom n" when the segment has items
  // in its bottom half.
  function bottomForm(s, doc, ranked) {
    const candidates = ranked.filter((x) => (x.it.redesign_candidates || []).some((c) => c.segment_id === s.id)).length;
    if (candidates === 0) return el("p", { class: "muted", text: "All your items are in this segment's top half." });
    const input = el("input", { type: "number", min: 1, max: candidates, value: Math.min(3, candidates), class: "bottom-n",
      "aria-label": "How many of the lowest-ranked items to redesign for " + s.name });
    const button = el("button", { type: "submit", class: "secondary" }, "Redesign");
    return el("form", { class: "row bottom-form", onsubmit: (ev) => {
      ev.preventDefault();
      redesignFrom(doc, s.id, { n: Number(input.value) }, button);
    } }, el("span", { text: "Redesign the bottom" }), input,
    el("span", { class: "muted", text: "of your " + candidates + " items in its bottom half for this segment" }), button);
  }

  function rankedRow(it, sc, segmentID, doc) {
    const pct = sc.percentile.toFixed(1);
    const cand = (it.redesign_candidates || []).find((c) => c.segment_id === segmentID);
    return el("tr", { "data-item": it.item_id },
      el("td", { class: "num", text: String(sc.rank) }),
      el("td", { text: itemName(it) }),
      el("td", { text: it.category }),
      el("td", {}, el("span", { class: "bar", "aria-hidden": "true" }, styled(el("span"), { width: pct + "%" })),
        el("span", { class: "num", text: pct })),
      el("td", { class: "redesign-cell" }, redesignCell(it, cand, segmentID, doc)));
  }

  // redesignCell shows what is known of redesigning the item for the
  // segment: a running or finished job of the report's items, else the
  // best variant the report found, else (bottom half only) the action.
  function redesignCell(it, cand, segmentID, doc) {
    const job = (redesigns[segmentID] || {})[it.item_id];
    if (job) return jobCell(job);
    if (cand && cand.best_variant) return variantCell(cand.best_variant);
    if (!cand) return null;
    const button = el("button", { type: "button", class: "secondary redesign-one" }, "Redesign for this segment");
    button.addEventListener("click", () => redesignFrom(doc, segmentID, { item_ids: [it.item_id] }, button));
    return button;
  }

  // jobCell is a redesign job's state; once it succeeded, its best
  // passing variant with its uplift.
  function jobCell(job) {
    const p = job.progress || {};
    switch (job.status) {
      case "succeeded": {
        const passed = job.variants.filter((v) => v.passed);
        if (passed.length === 0) return el("span", { class: "muted", "data-job": job.id, text: "No variant passed the checks." });
        const best = passed.reduce((a, b) => ((b.scores.uplift || 0) > (a.scores.uplift || 0) ? b : a));
        const cell = variantView(best.image_url, best.scores.uplift || 0, job.id);
        // The item's photo beside its best variant, both at model size.
        if (job.base && job.base.model_image_url) cell.prepend(pixelImage(job.base.model_image_url, "Your item"), el("span", { "aria-hidden": "true", text: "→" }));
        return cell;
      }
      case "failed":
      case "cancelled":
        return el("span", { class: "muted", "data-job": job.id, text: "Redesign " + job.status + (job.error ? ": " + job.error : "") });
      default:
        return el("span", { class: "muted", "data-job": job.id,
          text: "Redesign " + job.status + (p.total > 0 ? " (" + p.stage + " " + p.step + " of " + p.total + ")" : "") + "…" });
    }
  }

  // variantCell shows a best variant from the report: its uplift at once
  // and its picture when the redesign answers (the report holds only the
  // variant's blob key; the redesign gives its URL).
  function variantCell(v) {
    const cell = variantView(null, v.uplift, v.redesign_id);
    authed("GET", "/api/v1/redesigns/" + encodeURIComponent(v.redesign_id)).then((job) => {
      const found = job.variants.find((x) => x.rank === v.rank);
      if (found) cell.prepend(pixelImage(found.image_url, "Best variant, AI-generated"));
    }).catch(() => {}); // the uplift is still shown; the picture is a bonus
    return cell;
  }

  function variantView(src, uplift, jobID) {
    return el("span", { class: "variant", "data-job": jobID },
      src ? pixelImage(src, "Best variant, AI-generated") : null,
      el("span", { class: "badge", text: "AI-generated" }),
      el("span", { text: "uplift " + (uplift >= 0 ? "+" : "") + uplift.toFixed(3) }));
  }

  // chartImage shows a chart the service draws as SVG: fetched with the
  // key (an <img> could not send it) and shown from an object URL, so the
  // SVG is an image and nothing in it runs.
  function chartImage(path, alt) {
    const img = el("img", { class: "chart", alt });
    fetch(path, { headers: { Authorization: "Bearer " + key() } })
      .then((resp) => (resp.ok ? resp.blob() : Promise.reject(new Error("chart " + resp.status))))
      .then((b) => { img.src = URL.createObjectURL(b); })
      .catch(() => img.replaceWith(el("p", { class: "muted", text: "The chart could not be loaded." })));
    return img;
  }

  // pager offers the pages of a table of n rows when there is more than one.
  function pager(box, n, page, show) {
    const last = Math.max(0, Math.ceil(n / pageRows) - 1);
    box.replaceChildren();
    if (last === 0) return;
    box.append(
      el("button", { type: "button", class: "secondary", disabled: page === 0, onclick: () => show(page - 1) }, "Previous"),
      el("span", { class: "muted", text: "Rows " + (page * pageRows + 1) + "–" + Math.min(n, (page + 1) * pageRows) + " of " + n }),
      el("button", { type: "button", class: "secondary", disabled: page === last, onclick: () => show(page + 1) }, "Next"));
  }

  // download fetches an export with the key (a plain link could not send
  // it) and saves it through an object URL.
  async function download(format) {
    showError(errorBox, null);
    $("download-state").textContent = "Preparing the " + format.toUpperCase() + " file…";
    try {
      const resp = await fetch(reportPath(openID) + "." + format, { headers: { Authorization: "Bearer " + key() } });
      if (!resp.ok) {
        const data = await resp.json().catch(() => null);
        throw new Error(data && data.error ? data.error.message : "The service answered " + resp.status + ".");
      }
      const url = URL.createObjectURL(await resp.blob());
      const a = el("a", { href: url, download: "report-" + openID + "." + format });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60000);
      $("download-state").textContent = "Downloaded report-" + openID + "." + format + ".";
    } catch (e) {
      $("download-state").textContent = "";
      showError(errorBox, e);
    }
  }

  // styled sets inline styles through the CSSOM: the pages' Content
  // Security Policy refuses style attributes, not script-set styles.
  const styled = (n, styles) => { Object.assign(n.style, styles); return n; };

  const itemName = (it) => it.external_id || it.item_id.slice(0, 8);

  if (key()) refresh();
})();
