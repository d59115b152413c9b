// Shared helpers of the Atelier pages: calling the JSON API and showing
// its errors as readable messages.
"use strict";

// api calls the service and returns the decoded JSON body; a failure
// throws an Error whose message is the API's error.message.
async function api(method, path, opts = {}) {
  const headers = Object.assign({}, opts.headers || {});
  let body = opts.body;
  if (body !== undefined && !(body instanceof FormData)) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(body);
  }
  let resp;
  try {
    resp = await fetch(path, { method, headers, body });
  } catch (e) {
    throw new Error("The service could not be reached (" + e.message + ").");
  }
  let data = null;
  const text = await resp.text();
  if (text) {
    try { data = JSON.parse(text); } catch (e) { data = null; }
  }
  if (!resp.ok) {
    const err = data && data.error;
    let msg = err && err.message ? err.message : "The service answered " + resp.status + " " + resp.statusText + ".";
    if (err && err.field && !msg.includes(err.field)) msg = err.field + ": " + msg;
    const e = new Error(msg);
    e.status = resp.status;
    throw e;
  }
  return data;
}

// el creates an element with attributes and children.
function el(tag, attrs = {}, ...children) {
  const n = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") n.className = v;
    else if (k === "text") n.textContent = v;
    else if (k.startsWith("on")) n.addEventListener(k.slice(2), v);
    else n.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children) if (c !== null && c !== undefined) n.append(c);
  return n;
}

// showError puts a message in an error box (role=alert); null clears it.
function showError(box, err) {
  box.textContent = err ? (err.message || String(err)) : "";
}

// pixelImage is a model-size image shown enlarged with crisp pixels.
function pixelImage(src, alt) {
  return el("img", { class: "px", src, alt, width: 64, height: 64 });
}
