// The consumer's choice flow: start a session, answer its rounds by
// clicking an image, then show the recommendations for the taste shown.
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const errorBox = $("error");
  let session = null; // the current round view from the API

  $("start-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    showError(errorBox, null);
    const button = $("start-button");
    button.disabled = true;
    try {
      const body = { options: Number($("options").value) };
      const consumer = $("consumer-id").value.trim();
      if (consumer) body.consumer_id = consumer;
      showRound(await api("POST", "/api/v1/choice-sessions", { body }));
    } catch (e) {
      showError(errorBox, e);
    } finally {
      button.disabled = false;
    }
  });

  $("again").addEventListener("click", () => {
    session = null;
    $("results").hidden = true;
    $("start").hidden = false;
    $("start-button").focus();
  });

  function showRound(view) {
    session = view;
    if (view.done) {
      showResults();
      return;
    }
    $("start").hidden = true;
    $("round-n").textContent = view.round;
    $("round-total").textContent = view.rounds;
    const box = $("choices");
    box.replaceChildren();
    // More than four options are laid out three to a row at any width, so
    // a 3 × 3 round fits a phone's screen.
    box.classList.toggle("grid3", view.options.length > 4);
    view.options.forEach((opt, i) => {
      const label = "Option " + (i + 1) + (opt.generated ? " (AI-generated)" : "");
      const card = el("button", { type: "button", class: "choice", "data-item": opt.item_id, "aria-label": "Pick " + label, onclick: () => pick(opt.item_id) },
        opt.generated ? el("span", { class: "badge", text: "AI-generated" }) : null,
        pixelImage(opt.image_url, label),
        el("span", { text: label }));
      box.append(card);
    });
    $("round").hidden = false;
    $("round").setAttribute("data-round", view.round);
    $("round-title").focus();
  }

  async function pick(itemID) {
    if (!session) return;
    showError(errorBox, null);
    const cards = document.querySelectorAll(".choice");
    cards.forEach((c) => (c.disabled = true));
    try {
      showRound(await api("POST", "/api/v1/choice-sessions/" + encodeURIComponent(session.id) + "/choices",
        { body: { round: session.round, item_id: itemID } }));
    } catch (e) {
      showError(errorBox, e);
      cards.forEach((c) => (c.disabled = false));
    }
  }

  async function showResults() {
    $("round").hidden = true;
    const list = $("recommendations");
    list.replaceChildren();
    try {
      const data = await api("GET", "/api/v1/choice-sessions/" + encodeURIComponent(session.id) + "/recommendations?n=12");
      data.items.forEach((it, i) => {
        list.append(el("li", { "data-item": it.item_id },
          pixelImage(it.image_url, "Recommendation " + (i + 1)),
          el("span", { class: "muted", text: "#" + (i + 1) })));
      });
      if (data.items.length === 0) list.append(el("li", { text: "No recommendations yet." }));
    } catch (e) {
      showError(errorBox, e);
    }
    $("results").hidden = false;
    $("results").setAttribute("data-ready", "true");
    $("results-title").focus();
  }
})();
