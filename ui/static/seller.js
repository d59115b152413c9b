// The seller's page: keep the API key for the tab, upload product photos,
// list the seller's items and run redesigns for a consumer segment.
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const keyName = "atelier.sellerKey";
  const errorBox = $("error");
  const finished = new Set(["succeeded", "failed", "cancelled"]);
  let pollTimer = null;

  const key = () => sessionStorage.getItem(keyName) || "";
  const authed = (method, path, opts = {}) => {
    if (!key()) return Promise.reject(new Error("Enter your API key first."));
    opts.headers = Object.assign({ Authorization: "Bearer " + key() }, opts.headers || {});
    return api(method, path, opts);
  };

  $("api-key").value = key();
  $("key-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const v = $("api-key").value.trim();
    if (v) sessionStorage.setItem(keyName, v); else sessionStorage.removeItem(keyName);
    refresh();
  });
  $("refresh").addEventListener("click", refresh);

  $("upload-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    showError(errorBox, null);
    const form = new FormData();
    const file = $("photo").files[0];
    if (!file) { showError(errorBox, new Error("Choose a photo to upload.")); return; }
    form.append("category", $("category").value.trim());
    const ext = $("external-id").value.trim();
    if (ext) form.append("external_id", ext);
    form.append("image", file);
    $("upload-button").disabled = true;
    $("upload-state").textContent = "Uploading…";
    try {
      const it = await authed("POST", "/api/v1/items", { body: form });
      $("upload-state").textContent = "Uploaded " + (it.external_id || it.id) + ".";
      $("upload-form").reset();
      await loadItems();
    } catch (e) {
      $("upload-state").textContent = "";
      showError(errorBox, e);
    } finally {
      $("upload-button").disabled = false;
    }
  });

  async function refresh() {
    showError(errorBox, null);
    if (!key()) { $("key-state").textContent = "No key set."; return; }
    try {
      await Promise.all([loadSegments(), loadItems()]);
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
    sel.replaceChildren();
    if (data.segments.length === 0) sel.append(el("option", { value: "", text: "(no segments yet)" }));
    for (const s of data.segments) {
      sel.append(el("option", { value: s.id, text: s.name + " (" + s.size + " consumers)" }));
    }
    if (keep) sel.value = keep;
  }

  async function loadItems() {
    const data = await authed("GET", "/api/v1/items?limit=100");
    const list = $("items");
    list.replaceChildren();
    $("no-items").hidden = data.items.length > 0;
    for (const it of data.items) {
      const img = it.images[0];
      const name = it.external_id || it.id.slice(0, 8);
      list.append(el("li", { "data-item": it.id },
        img ? pixelImage(img.model_url, "Photo of " + name) : null,
        el("strong", { text: name }),
        el("span", { class: "muted", text: it.category }),
        el("button", { type: "button", class: "secondary", "aria-label": "Redesign " + name, onclick: () => startRedesign(it.id) }, "Redesign")));
    }
  }

  async function startRedesign(itemID) {
    showError(errorBox, null);
    const segment = $("segment").value;
    if (!segment) { showError(errorBox, new Error("Choose a segment to redesign for.")); return; }
    try {
      const job = await authed("POST", "/api/v1/items/" + encodeURIComponent(itemID) + "/redesigns", { body: { segment_id: segment } });
      showJob(job);
      $("redesign-title").focus();
      poll(job.id);
    } catch (e) {
      showError(errorBox, e);
    }
  }

  function poll(id) {
    clearTimeout(pollTimer);
    pollTimer = setTimeout(async () => {
      try {
        const job = await authed("GET", "/api/v1/redesigns/" + encodeURIComponent(id));
        showJob(job);
        if (!finished.has(job.status)) poll(id);
      } catch (e) {
        showError($("redesign-error"), e);
      }
    }, 1000);
  }

  function showJob(job) {
    const box = $("redesign");
    box.hidden = false;
    box.setAttribute("data-status", job.status);
    const p = job.progress || {};
    let status = "Status: " + job.status;
    if (p.stage) status += ", " + p.stage;
    if (p.total > 0) status += " (" + p.step + " of " + p.total + ")";
    $("redesign-status").textContent = status;
    const bar = $("redesign-progress");
    bar.max = p.total > 0 ? p.total : 1;
    bar.value = job.status === "succeeded" ? bar.max : (p.total > 0 ? p.step : 0);
    bar.hidden = finished.has(job.status) && job.status !== "succeeded";
    showError($("redesign-error"), job.error ? new Error("The redesign failed: " + job.error) : null);

    const result = $("redesign-result");
    result.hidden = !(job.base || job.variants.length);
    const base = $("redesign-base");
    base.replaceChildren();
    if (job.base) base.append(pixelImage(job.base.model_image_url, "Your photo"));
    if (job.base && job.base.reconstruction_url) {
      base.append(el("figure", { class: "reconstruction" },
        el("span", { class: "badge", text: "AI-generated" }),
        pixelImage(job.base.reconstruction_url, "Your photo as the generator draws it, AI-generated"),
        el("figcaption", { class: "muted", text: "As the generator draws it: variants are scored against this" })));
    }
    const list = $("variants");
    list.replaceChildren();
    list.hidden = $("variants-title").hidden = job.variants.length === 0;
    for (const v of job.variants) {
      const scores = el("dl", { class: "scores" });
      for (const [k, val] of Object.entries(v.scores || {})) {
        scores.append(el("dt", { text: k }), el("dd", { text: Number(val).toFixed(3) }));
      }
      list.append(el("li", { class: v.passed ? "passed" : "failed" },
        el("span", { class: "badge", text: "AI-generated" }),
        pixelImage(v.image_url, "Variant " + v.rank + ", AI-generated"),
        el("strong", { text: "#" + v.rank + (v.passed ? "" : " (did not pass checks)") }),
        scores,
        v.flags.length ? el("span", { class: "flags", text: "Flags: " + v.flags.join(", ") }) : null));
    }
  }

  if (key()) refresh();
})();
