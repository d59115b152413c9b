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
  // is read from its short-lived URL instead.
  async function openReport(id) {
    showError(errorBox, null);
    try {
      const r = await authed("GET", reportPath(id));
      let doc = r.result;
      if (!doc && r.result_url) doc = await api("GET", r.result_url);
      openID = id;
      showReport(r, doc);
      $("report-title").focus();
    } catch (e) {
      showError(errorBox, e);
    }
  }

  function showReport(r, doc) {
    $("report").hidden = false;
    $("report").setAttribute("data-report", r.id);
    $("report-meta").textContent = doc.segments.length + " segments, " + doc.items.length + " of your items, ranked against " +
      doc.catalog_size + " catalog items; made " + new Date(r.created_at).toLocaleString() + ".";
    $("report-empty").hidden = doc.items.length > 0;
    $("download-state").textContent = "";
    showHeat(doc, 0);
    $("segments").replaceChildren(...doc.segments.map((s) => segmentView(s, doc.items)));
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
  // favourite catalog items) and the seller's items ranked for it.
  function segmentView(s, items) {
    const ranked = items
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
      table, pages);
    const show = (page) => {
      table.replaceChildren(
        el("thead", {}, el("tr", {}, ...["Rank", "Item", "Category", "Percentile", "Best redesign"].map((h) => el("th", { scope: "col", text: h })))),
        el("tbody", {}, ...ranked.slice(page * pageRows, (page + 1) * pageRows).map((x) => rankedRow(x.it, x.sc, s.id))));
      pager(pages, ranked.length, page, show);
    };
    show(0);
    return box;
  }

  function rankedRow(it, sc, segmentID) {
    const pct = sc.percentile.toFixed(1);
    const cand = (it.redesign_candidates || []).find((c) => c.segment_id === segmentID);
    return el("tr", { "data-item": it.item_id },
      el("td", { class: "num", text: String(sc.rank) }),
      el("td", { text: itemName(it) }),
      el("td", { text: it.category }),
      el("td", {}, el("span", { class: "bar", "aria-hidden": "true" }, styled(el("span"), { width: pct + "%" })),
        el("span", { class: "num", text: pct })),
      el("td", {}, cand && cand.best_variant ? variantCell(cand.best_variant) : null));
  }

  // variantCell shows a best variant's uplift at once and its picture
  // when the redesign answers: the report holds only the variant's blob
  // key, and the redesign gives its URL.
  function variantCell(v) {
    const cell = el("span", { class: "variant" },
      el("span", { class: "badge", text: "AI-generated" }),
      el("span", { text: "uplift " + (v.uplift >= 0 ? "+" : "") + v.uplift.toFixed(3) }));
    authed("GET", "/api/v1/redesigns/" + encodeURIComponent(v.redesign_id)).then((job) => {
      const found = job.variants.find((x) => x.rank === v.rank);
      if (found) cell.prepend(pixelImage(found.image_url, "Best variant, AI-generated"));
    }).catch(() => {}); // the uplift is still shown; the picture is a bonus
    return cell;
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
      const resp = await fetch(reportPath(openID) + "/export?format=" + format, { headers: { Authorization: "Bearer " + key() } });
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
