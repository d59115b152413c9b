// The seller's page: keep the API key for the tab, upload product photos,
// list the seller's items, run redesigns for a consumer segment and show
// background suggestions.
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
    form.append("category", $("category").value);
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
        el("button", { type: "button", class: "secondary", "aria-label": "Redesign " + name, onclick: () => startRedesign(it.id) }, "Redesign"),
        el("button", { type: "button", class: "secondary", "aria-label": "Backgrounds for " + name, onclick: () => showBackgrounds(it.id, name) }, "Backgrounds")));
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
    const notes = $("redesign-notes");
    notes.replaceChildren(...(job.notes || []).map((n) => el("li", { text: n })));
    const base = $("redesign-base");
    base.replaceChildren();
    const photo = job.base ? job.base.image_url : null;
    if (photo) {
      base.append(el("figure", {},
        el("img", { class: "photo", src: photo, alt: "Your photo" }),
        el("figcaption", { class: "muted", text: "Your photo" })));
    }
    const list = $("variants");
    list.replaceChildren();
    list.hidden = $("variants-title").hidden = job.variants.length === 0;
    for (const v of job.variants) list.append(variantCard(v, photo, job.base, job));
  }

  // variantCard shows one variant: the seller's photo changed, a toggle to
  // compare it with the photo, what it means in a few words, and the raw
  // numbers and the generator's own drawing one click away.
  function variantCard(v, photo, base, job) {
    const full = v.full_image_url || v.image_url;
    const img = el("img", { class: v.full_image_url ? "photo" : "photo px", src: full,
      alt: "Variant " + v.rank + " of your photo, AI-generated" });
    let showingPhoto = false;
    const compare = photo ? el("button", { type: "button", class: "secondary", "aria-pressed": "false",
      onclick: () => {
        showingPhoto = !showingPhoto;
        img.src = showingPhoto ? photo : full;
        img.alt = showingPhoto ? "Your photo" : "Variant " + v.rank + " of your photo, AI-generated";
        compare.setAttribute("aria-pressed", String(showingPhoto));
        compare.textContent = showingPhoto ? "Show variant" : "Compare with your photo";
      } }, "Compare with your photo") : null;
    const raw = el("dl", { class: "scores" });
    for (const [k, val] of Object.entries(v.scores || {})) {
      raw.append(el("dt", { text: k }), el("dd", { text: Number(val).toFixed(3) }));
    }
    const drawn = el("div", { class: "drawn" }, el("span", { class: "badge", text: "AI-generated" }),
      pixelImage(v.image_url, "Variant " + v.rank + " as the generator drew it, AI-generated"),
      base && base.reconstruction_url ? pixelImage(base.reconstruction_url, "Your photo as the generator draws it, AI-generated") : null);
    return el("li", { class: v.passed ? "passed" : "failed" },
      el("div", { class: "frame" }, el("span", { class: "badge", text: "AI-generated" }), img),
      el("div", { class: "row" }, el("strong", { text: "#" + v.rank }), compare,
        v.full_image_url ? el("button", { type: "button", class: "secondary", "aria-label": "Backgrounds for variant " + v.rank,
          onclick: () => showBackgrounds(job.item_id, "variant " + v.rank, job.id, v.rank) }, "Backgrounds") : null),
      el("ul", { class: "meaning" }, ...meaning(v).map((t) => el("li", { text: t }))),
      el("details", {}, el("summary", { text: "Numbers and the generator's drawing" }),
        drawn, el("p", { class: "muted", text: "Left: the variant as the generator drew it; right: your photo as it draws it. The change between them is what was applied to your photo." }), raw,
        v.flags.length ? el("p", { class: "flags", text: "Checks not passed: " + v.flags.join(", ") }) : null));
  }

  // meaning says what a variant's scores mean, in a seller's words.
  function meaning(v) {
    const s = v.scores || {};
    const out = [];
    if (s.catalog_top > 0 && s.base_catalog_top > 0) {
      const now = Math.max(1, Math.round(s.catalog_top)), was = Math.max(1, Math.round(s.base_catalog_top));
      out.push(now < was
        ? "The segment would rank it in its top " + now + "% of the catalog (your photo: top " + was + "%)."
        : "The segment would rank it in its top " + now + "% of the catalog, no higher than your photo (top " + was + "%).");
    } else if (s.uplift !== undefined) {
      out.push(s.uplift > 0 ? "The segment prefers it to your photo." : "The segment does not prefer it to your photo.");
    }
    const flags = new Set(v.flags || []);
    out.push(flags.has("unrealistic") ? "May not look real: check it before using it." : "Looks like a real product photo.");
    out.push(flags.has("category_changed") ? "May read as another kind of product." : "Still reads as the same kind of product.");
    if (flags.has("too_far")) out.push("Far from your original design.");
    if (flags.has("duplicate")) out.push("Much like a better-ranked variant.");
    return out;
  }

  // showBackgrounds describes the item (or a redesigned variant of it)
  // and shows it on the scenes that suit it. The first time, the service makes the composites (a few
  // seconds); after that they are read.
  async function showBackgrounds(itemID, name, redesignID, rank) {
    const box = $("backgrounds");
    box.hidden = false;
    $("backgrounds-result").hidden = true;
    showError($("backgrounds-error"), null);
    $("backgrounds-status").textContent = "Describing " + name + " and placing it on suggested scenes…";
    $("backgrounds-title").focus();
    try {
      let path = "/api/v1/items/" + encodeURIComponent(itemID) + "/backgrounds?n=6";
      if (redesignID) path += "&redesign_id=" + encodeURIComponent(redesignID) + "&variant=" + rank;
      const data = await authed("GET", path);
      $("backgrounds-status").textContent = "For " + name + ":";
      $("description").textContent = capitalise(data.description.sentence) + ".";
      const sw = $("description-colours");
      sw.replaceChildren();
      for (const c of data.description.colours) {
        // A CSSOM property, not a style attribute: the page's policy allows
        // no inline styles.
        const chip = el("span", { class: "swatch", "aria-hidden": "true" });
        chip.style.backgroundColor = c.hex;
        sw.append(el("li", {}, chip,
          el("span", { text: c.name + " (" + c.family + ", " + Math.round(c.share * 100) + "%)" })));
      }
      const list = $("composites");
      list.replaceChildren();
      data.suggestions.forEach((s, i) => list.append(el("li", { class: "passed" },
        el("div", { class: "frame" }, el("img", { class: "photo", src: s.composite_url,
          alt: name + " on " + s.caption })),
        el("div", { class: "row" }, el("strong", { text: "#" + (i + 1) }),
          el("span", { class: "muted", text: (s.builtin ? "built-in" : "yours") + " · score " + s.score.toFixed(2) })),
        el("p", { class: "caption", text: capitalise(s.caption) }))));
      $("backgrounds-result").hidden = false;
    } catch (e) {
      $("backgrounds-status").textContent = "";
      showError($("backgrounds-error"), e);
    }
  }

  $("background-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const file = $("background-image").files[0];
    if (!file) return;
    const form = new FormData();
    form.append("image", file);
    const caption = $("background-caption").value.trim();
    if (caption) form.append("caption", caption);
    $("background-state").textContent = "Adding…";
    try {
      const b = await authed("POST", "/api/v1/backgrounds", { body: form });
      $("background-state").textContent = "Added: " + b.caption;
      $("background-form").reset();
    } catch (e) {
      $("background-state").textContent = "";
      showError($("backgrounds-error"), e);
    }
  });

  const capitalise = (t) => t ? t[0].toUpperCase() + t.slice(1) : t;

  if (key()) refresh();
})();
