/*
 * web/console.js — the console's behaviour. Everything goes through the server's Qdrant REST API:
 *   GET  /collections, /collections/{c}      collection list and statistics
 *   GET  /telemetry                           the models the server loaded (for inference)
 *   POST /collections/{c}/points/query       search: {"text"|"image", "model"} inference objects,
 *                                            a point id (click on a result: search by it), or
 *                                            both text and image fused with RRF via prefetch
 * Thumbnails are /media/<payload.image>, which the server serves only from --media-root (fetched
 * with the key when there is one, shown as blob URLs).
 * With an API key configured the server answers 401; the console then asks for the key, keeps
 * it in sessionStorage and sends it as the api-key header.
 */
"use strict";

const $ = (id) => document.getElementById(id);
const state = { image: null, key: sessionStorage.getItem("vitrine-api-key") || "", vectors: [] };

function setStatus(text, isError) {
  $("status").textContent = text;
  $("status").className = "status" + (isError ? " error" : "");
}

async function api(method, path, body) {
  const headers = { "Content-Type": "application/json" };
  if (state.key) headers["api-key"] = state.key;
  const res = await fetch(path, { method, headers, body: body ? JSON.stringify(body) : undefined });
  if (res.status === 401 || res.status === 403) {
    $("keybox").hidden = false;
    throw new Error(res.status === 401 ? "an API key is needed" : "this key may not do that");
  }
  const text = await res.text();
  let json = null;
  try { json = JSON.parse(text); } catch (e) { /* not JSON: reported below */ }
  if (!res.ok) throw new Error((json && json.status && json.status.error) || text || ("HTTP " + res.status));
  return json ? json.result : null;
}

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

async function loadCollections() {
  const res = await api("GET", "/collections");
  const sel = $("collection");
  sel.replaceChildren();
  for (const c of res.collections) sel.append(new Option(c.name, c.name));
  const wanted = new URLSearchParams(location.search).get("collection");
  if (wanted) sel.value = wanted;
  await loadCollection();
}

async function loadModels() {
  const sel = $("model");
  sel.replaceChildren();
  try {
    const t = await api("GET", "/telemetry");
    for (const m of (t && t.models) || []) sel.append(new Option(m.name + " (" + m.family + ")", m.name));
  } catch (e) { /* shown by the search that needs a model */ }
}

async function loadCollection() {
  const name = $("collection").value;
  if (!name) { setStatus("no collections yet: ingest some with vitrine ingest"); return; }
  const info = await api("GET", "/collections/" + encodeURIComponent(name));
  const vec = info.config.params.vectors || {};
  state.vectors = typeof vec.size === "number" ? [""] : Object.keys(vec);
  const using = $("using");
  using.replaceChildren();
  for (const v of state.vectors) using.append(new Option(v || "(default)", v));
  if (state.vectors.includes("image")) using.value = "image";
  const parts = [info.points_count + " points", state.vectors.length + " vectors (" + state.vectors.join(", ") + ")",
                 "status " + info.status];
  if (info.payload_schema) parts.push(Object.keys(info.payload_schema).length + " payload indexes");
  parts.push(...await indexStats(name));
  $("stats").textContent = parts.join(" · ");
}

/* indexStats: memory and HNSW state from /metrics (Qdrant's CollectionInfo has no such fields) */
async function indexStats(name) {
  try {
    const res = await fetch("/metrics", { headers: state.key ? { "api-key": state.key } : {} });
    if (!res.ok) return [];
    const text = await res.text(), out = [];
    for (const line of text.split("\n")) {
      const m = line.match(/^collection_memory_bytes\{collection="(.*)"\} (\d+)/);
      if (m && m[1] === name) out.push((Number(m[2]) / 1048576).toFixed(1) + " MB in RAM");
    }
    const idx = [];
    for (const line of text.split("\n")) {
      const m = line.match(/^collection_indexed_vectors\{collection="(.*)",vector="(.*)",state="(\w+)"\} (\d+)/);
      if (m && m[1] === name) idx.push((m[2] || "default") + ": " + (m[3] === "none" ? "no index yet" : m[4] + " indexed (" + m[3] + ")"));
    }
    if (idx.length) out.push("HNSW " + idx.join(", "));
    return out;
  } catch (e) {
    return [];
  }
}

function filterFromForm() {
  const key = $("fkey").value.trim(), raw = $("fvalue").value.trim();
  if (!key) return undefined;
  let value = raw;
  if (raw === "true" || raw === "false") value = raw === "true";
  else if (raw !== "" && !isNaN(Number(raw))) value = Number(raw);
  return { must: [{ key, match: { value } }] };
}

async function search(pointId) {
  const coll = $("collection").value, using = $("using").value, model = $("model").value;
  const limit = Math.max(1, Math.min(100, parseInt($("limit").value, 10) || 20));
  const text = $("text").value.trim(), filter = filterFromForm();
  const queries = [];
  if (pointId !== undefined) queries.push(pointId);
  else {
    if (text) queries.push({ text, model });
    if (state.image) queries.push({ image: state.image, model });
  }
  if (!queries.length) { setStatus("type a text or drop an image"); return; }
  const body = { limit, with_payload: true };
  if (using) body.using = using;
  if (filter) body.filter = filter;
  if (queries.length === 1) body.query = queries[0];
  else {
    body.prefetch = queries.map((q) => Object.assign({ query: q, limit: limit * 2 }, using ? { using } : {},
                                                     filter ? { filter } : {}));
    body.query = { fusion: "rrf" };
  }
  setStatus("searching…");
  const t0 = performance.now();
  try {
    const res = await api("POST", "/collections/" + encodeURIComponent(coll) + "/points/query", body);
    show(res.points);
    const what = pointId !== undefined ? "point " + pointId : queries.length > 1 ? "text + image (RRF)" : text ? "\u201c" + text + "\u201d" : "the image";
    setStatus(res.points.length + " results for " + what + " in " + Math.round(performance.now() - t0) + " ms");
  } catch (e) {
    setStatus(e.message, true);
  }
}

function show(points) {
  const grid = $("results");
  grid.replaceChildren();
  for (const p of points) {
    const card = el("div", "card");
    card.dataset.id = String(p.id);
    const thumb = el("div", "thumb");
    const payload = p.payload || {};
    if (typeof payload.image === "string" && !/^https?:/.test(payload.image)) {
      const img = el("img");
      img.alt = payload.caption || "";
      img.loading = "lazy";
      thumb.append(img);
      loadThumb(img, "/media/" + payload.image.split("/").map(encodeURIComponent).join("/"), thumb);
    } else if (typeof payload.image === "string") {
      const img = el("img");
      img.src = payload.image;
      thumb.append(img);
    } else thumb.append(el("span", "", "no image"));
    card.append(thumb, el("div", "score", p.score.toFixed(3) + "  ·  id " + p.id));
    if (payload.caption) card.append(el("div", "caption", payload.caption));
    const rest = Object.entries(payload).filter(([k]) => k !== "caption" && k !== "image");
    card.append(el("div", "payload", rest.map(([k, v]) => k + ": " + JSON.stringify(v)).join(", ")));
    card.title = "search by this item";
    card.onclick = () => search(p.id);
    grid.append(card);
  }
}

/* loadThumb: media needs the API key too, which an <img src> cannot send: fetch it, show a blob */
async function loadThumb(img, path, thumb) {
  try {
    const res = await fetch(path, { headers: state.key ? { "api-key": state.key } : {} });
    if (!res.ok) throw new Error("HTTP " + res.status);
    img.src = URL.createObjectURL(await res.blob());
    img.onload = () => URL.revokeObjectURL(img.src);
  } catch (e) {
    thumb.replaceChildren(el("span", "", "no image"));
  }
}

function useImage(file) {
  if (!file) return;
  const reader = new FileReader();
  reader.onload = () => {
    const url = reader.result;
    state.image = url.slice(url.indexOf(",") + 1);
    $("preview").src = url;
    $("preview").hidden = false;
    $("droptext").hidden = true;
    $("clearimage").hidden = false;
    search();
  };
  reader.readAsDataURL(file);
}

function wire() {
  const drop = $("drop");
  drop.onclick = () => $("file").click();
  drop.onkeydown = (e) => { if (e.key === "Enter" || e.key === " ") $("file").click(); };
  $("file").onchange = () => useImage($("file").files[0]);
  drop.ondragover = (e) => { e.preventDefault(); drop.classList.add("over"); };
  drop.ondragleave = () => drop.classList.remove("over");
  drop.ondrop = (e) => { e.preventDefault(); drop.classList.remove("over"); useImage(e.dataTransfer.files[0]); };
  $("clearimage").onclick = () => {
    state.image = null;
    $("preview").hidden = true;
    $("droptext").hidden = false;
    $("clearimage").hidden = true;
    $("file").value = "";
  };
  $("search").onsubmit = (e) => { e.preventDefault(); search(); };
  $("collection").onchange = () => loadCollection().catch((e) => setStatus(e.message, true));
  $("keyform").onsubmit = (e) => {
    e.preventDefault();
    state.key = $("apikey").value;
    sessionStorage.setItem("vitrine-api-key", state.key);
    $("keybox").hidden = true;
    start();
  };
}

async function start() {
  try {
    await loadModels();
    await loadCollections();
    setStatus("ready");
  } catch (e) {
    setStatus(e.message, true);
  }
}

wire();
start();
