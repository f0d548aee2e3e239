// The Chartex review page: a queue of facts that need review, each shown on its page with its
// evidence box; keyboard-driven (j/k move, a accept, e edit, r reject). Plain JavaScript, no
// build step, nothing fetched from elsewhere. Talks to the JSON API with the session cookie and
// sends the CSRF token with every POST.
"use strict";

const state = { csrf: "", user: "", queue: [], index: 0, documents: [], pageCache: new Map() };
const $ = (id) => document.getElementById(id);
const groups = ["patient", "encounters", "problems", "medications", "allergies", "vitals", "labs", "immunizations"];

function say(text) {
  $("status-line").textContent = text;
  if (text) setTimeout(() => { if ($("status-line").textContent === text) $("status-line").textContent = ""; }, 4000);
}

async function api(path, options = {}) {
  const init = { credentials: "same-origin", headers: {} , ...options };
  if (init.method === "POST") {
    init.headers["X-CSRF-Token"] = state.csrf;
    init.headers["Content-Type"] = "application/json";
  }
  const response = await fetch(path, init);
  const type = response.headers.get("Content-Type") || "";
  const body = type.startsWith("application/json") ? await response.json() : null;
  if (!response.ok) {
    const message = body && body.error ? body.error.message : response.statusText;
    const error = new Error(message);
    error.status = response.status;
    throw error;
  }
  return body;
}

function text(tag, content, className) {
  const element = document.createElement(tag);
  if (content !== undefined && content !== null) element.textContent = String(content);
  if (className) element.className = className;
  return element;
}

// MARK: - Queue

async function loadQueue() {
  const params = new URLSearchParams();
  if ($("filter-document").value) params.set("document", $("filter-document").value);
  if ($("filter-group").value) params.set("group", $("filter-group").value);
  if ($("filter-reason").value.trim()) params.set("reason", $("filter-reason").value.trim());
  state.queue = await api("/api/review-queue?" + params.toString());
  state.index = Math.min(state.index, Math.max(0, state.queue.length - 1));
  renderQueue();
  await showCurrent();
}

function renderQueue() {
  const list = $("queue");
  list.replaceChildren();
  state.queue.forEach((item, i) => {
    const f = item.fact;
    const li = document.createElement("li");
    li.dataset.factId = f.id;
    li.append(text("div", `${f.groupName}[${f.item}].${f.fieldPath}${f.alternative ? " (alt)" : ""}: ${f.normalizedValue ?? ""}`));
    li.append(text("div", `${item.fileName}, page ${f.evidencePage ?? "?"}`, "where"));
    if (f.reviewReason) li.append(text("div", f.reviewReason, "reason"));
    if (i === state.index) li.className = "current";
    li.addEventListener("click", () => { state.index = i; renderQueue(); showCurrent(); });
    list.append(li);
  });
  if (!state.queue.length) list.append(text("li", "Nothing to review."));
  const current = list.querySelector(".current");
  if (current) current.scrollIntoView({ block: "nearest" });
}

async function pageData(documentId, number) {
  const key = `${documentId}/${number}`;
  if (!state.pageCache.has(key)) {
    const [page, facts] = await Promise.all([
      api(`/api/documents/${documentId}/pages/${number}`),
      api(`/api/facts?document=${documentId}`),
    ]);
    state.pageCache.set(key, { page, facts: facts.filter((f) => f.evidencePage === number) });
  }
  return state.pageCache.get(key);
}

async function showCurrent() {
  const card = $("fact-card");
  card.replaceChildren();
  $("boxes").replaceChildren();
  const item = state.queue[state.index];
  if (!item) {
    card.dataset.factId = "";
    $("page-image").removeAttribute("src");
    return;
  }
  const f = item.fact;
  card.dataset.factId = f.id;
  card.append(text("div", `${item.fileName} · page ${f.evidencePage ?? "?"} · ${f.groupName}[${f.item}].${f.fieldPath}`));
  card.append(text("div", f.normalizedValue ?? "", "value"));
  if (f.rawValue && f.rawValue !== f.normalizedValue) card.append(text("div", `as printed: ${f.rawValue}`));
  card.append(text("div", `why: ${f.reviewReason || "needs review"} · extractor ${f.extractor}` +
    (f.confidence != null ? ` · confidence ${Math.round(f.confidence * 100)}%` : "")));
  if (f.evidenceText) {
    const source = text("div", "source line: ");
    source.append(text("span", f.evidenceText, "source"));
    card.append(source);
  }
  if (item.otherReadings.length) {
    card.append(text("div", "other readings: " + item.otherReadings
      .map((o) => `${o.normalizedValue ?? ""} (${o.extractor}, ${o.status})`).join("; ")));
  }
  if (f.evidencePage == null) return;
  const { page, facts } = await pageData(f.documentId, f.evidencePage);
  if (state.queue[state.index] !== item) return;
  if (page.patientMismatch) card.append(text("div", `POSSIBLE WRONG PATIENT: ${page.patientMismatch}`, "flag"));
  await drawPage(f.documentId, page, facts, f);
}

// The page image turned upright (the boxes are on the upright page), with the page's facts
// drawn faintly and the current fact's evidence box highlighted.
async function drawPage(documentId, page, facts, current) {
  const image = $("page-image");
  const url = `/api/documents/${documentId}/pages/${page.number}.png?dpi=100`;
  const source = new Image();
  source.src = url;
  await source.decode().catch(() => null);
  if (!source.naturalWidth) { say("the page image could not be rendered"); return; }
  const rotation = ((page.rotation || 0) % 360 + 360) % 360;
  const canvas = document.createElement("canvas");
  const turned = rotation === 90 || rotation === 270;
  canvas.width = turned ? source.naturalHeight : source.naturalWidth;
  canvas.height = turned ? source.naturalWidth : source.naturalHeight;
  const context = canvas.getContext("2d");
  context.translate(canvas.width / 2, canvas.height / 2);
  context.rotate((rotation * Math.PI) / 180);
  context.drawImage(source, -source.naturalWidth / 2, -source.naturalHeight / 2);
  image.src = canvas.toDataURL("image/png");
  await image.decode().catch(() => null);
  placeBoxes(page, facts, current);
}

function placeBoxes(page, facts, current) {
  const layer = $("boxes");
  layer.replaceChildren();
  const width = page.width || 612;
  const scale = $("page-image").clientWidth / width;
  for (const f of facts) {
    if (f.evidenceX0 == null) continue;
    const box = document.createElement("div");
    box.className = f.id === current.id ? "box evidence" : "box";
    box.style.left = `${f.evidenceX0 * scale}px`;
    box.style.top = `${f.evidenceY0 * scale}px`;
    box.style.width = `${Math.max(2, (f.evidenceX1 - f.evidenceX0) * scale)}px`;
    box.style.height = `${Math.max(2, (f.evidenceY1 - f.evidenceY0) * scale)}px`;
    box.title = `${f.groupName}.${f.fieldPath}: ${f.normalizedValue ?? ""}`;
    if (f.id === current.id) box.id = "evidence-box";
    layer.append(box);
  }
  const evidence = $("evidence-box");
  if (evidence) evidence.scrollIntoView({ block: "center", inline: "nearest" });
}

async function decide(decision, value, note) {
  const item = state.queue[state.index];
  if (!item) return;
  const body = { decision };
  if (value !== undefined) body.value = value;
  if (note) body.note = note;
  const outcome = await api(`/api/facts/${item.fact.id}/review`, { method: "POST", body: JSON.stringify(body) });
  const gone = new Set([outcome.fact.id, ...outcome.supersededFacts]);
  state.queue = state.queue.filter((q) => !gone.has(q.fact.id));
  state.pageCache.clear();
  state.index = Math.min(state.index, Math.max(0, state.queue.length - 1));
  say(`fact ${outcome.fact.id}: ${decision} → ${outcome.fact.status}`);
  renderQueue();
  await showCurrent();
}

function openEditor() {
  const item = state.queue[state.index];
  if (!item) return;
  $("edit-value").value = item.fact.normalizedValue ?? "";
  $("edit-note").value = "";
  $("edit-error").textContent = "";
  $("editor").hidden = false;
  $("edit-value").focus();
  $("edit-value").select();
}

function closeEditor() {
  $("editor").hidden = true;
}

// MARK: - Documents and search

async function showDocuments() {
  const list = $("document-list");
  list.replaceChildren(text("h2", "Documents"));
  const table = document.createElement("table");
  table.append(row(["id", "file", "pages", "status", "error"], "th"));
  for (const d of state.documents) {
    const tr = row([d.id, d.fileName, d.pageCount ?? "?", d.status, d.error ?? ""]);
    tr.addEventListener("click", () => showDocument(d.id));
    tr.style.cursor = "pointer";
    table.append(tr);
  }
  list.append(table);
}

function row(cells, tag = "td") {
  const tr = document.createElement("tr");
  for (const cell of cells) tr.append(text(tag, cell));
  return tr;
}

async function showDocument(id) {
  const view = await api(`/api/documents/${id}`);
  const detail = $("document-detail");
  detail.replaceChildren(text("h2", view.document.fileName), text("div", `sha256 ${view.document.sha256}`));
  const pages = document.createElement("table");
  pages.append(row(["page", "type", "status", "source", "words", "flags"], "th"));
  for (const p of view.pages) {
    const flags = [p.error, p.blank ? `blank: ${p.blankReason ?? ""}` : null,
      p.patientMismatch ? `POSSIBLE WRONG PATIENT: ${p.patientMismatch}` : null].filter(Boolean).join("; ");
    const tr = row([p.number, p.documentType ?? "-", p.blank ? "blank" : p.status, p.source ?? "-", p.words, flags]);
    if (p.patientMismatch || p.error) tr.className = "flag";
    pages.append(tr);
  }
  detail.append(text("h3", "Pages"), pages, text("h3", "Facts"));
  const facts = document.createElement("table");
  facts.append(row(["group", "verified", "needs review", "rejected"], "th"));
  for (const group of groups) {
    const counts = view.facts[group];
    if (counts) facts.append(row([group, counts.verified ?? 0, counts.needs_review ?? 0, counts.rejected ?? 0]));
  }
  detail.append(facts);
  for (const d of view.nearDuplicates) {
    detail.append(text("p", `page ${d.page} reads like ${d.otherFile} page ${d.otherPage}`));
  }
}

async function search(query) {
  const hits = await api(`/api/search?q=${encodeURIComponent(query)}`);
  const results = $("search-results");
  results.replaceChildren(text("h2", `Search: ${query}`));
  if (!hits.length) results.append(text("p", "no matches"));
  for (const hit of hits) {
    const p = text("p", `${hit.fileName}, page ${hit.page}: ${hit.snippet}`);
    p.style.cursor = "pointer";
    p.addEventListener("click", () => { location.hash = "documents"; showDocument(hit.documentId); });
    results.append(p);
  }
  show("search");
}

function show(view) {
  for (const name of ["queue", "documents", "search"]) $(`${name}-view`).hidden = name !== view;
}

async function route() {
  const view = location.hash === "#documents" ? "documents" : "queue";
  show(view);
  if (view === "documents") await showDocuments();
}

// MARK: - Start

document.addEventListener("keydown", (event) => {
  if (!$("editor").hidden) {
    if (event.key === "Escape") closeEditor();
    return;
  }
  if (event.target instanceof HTMLInputElement || event.target instanceof HTMLSelectElement) return;
  if ($("queue-view").hidden) return;
  const act = (promise) => promise.catch((error) => say(error.message));
  switch (event.key) {
    case "j": state.index = Math.min(state.index + 1, state.queue.length - 1); renderQueue(); act(showCurrent()); break;
    case "k": state.index = Math.max(state.index - 1, 0); renderQueue(); act(showCurrent()); break;
    case "a": act(decide("accept")); break;
    case "r": act(decide("reject")); break;
    case "e": event.preventDefault(); openEditor(); break;
    default: return;
  }
});

$("edit-form").addEventListener("submit", (event) => {
  event.preventDefault();
  decide("correct", $("edit-value").value, $("edit-note").value)
    .then(closeEditor)
    .catch((error) => { $("edit-error").textContent = error.message; });
});
$("edit-cancel").addEventListener("click", closeEditor);
$("search-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const query = $("search").value.trim();
  if (query) search(query).catch((error) => say(error.message));
});
for (const id of ["filter-document", "filter-group"]) $(id).addEventListener("change", () => loadQueue().catch((e) => say(e.message)));
$("filter-reason").addEventListener("change", () => loadQueue().catch((e) => say(e.message)));
window.addEventListener("hashchange", () => route().catch((e) => say(e.message)));
window.addEventListener("resize", () => showCurrent().catch(() => {}));

(async () => {
  try {
    const session = await api("/api/session");
    state.csrf = session.csrf;
    state.user = session.user;
    $("user").textContent = session.user;
  } catch (error) {
    if (error.status === 401) { $("signin").hidden = false; return; }
    say(error.message);
    return;
  }
  state.documents = await api("/api/documents");
  for (const d of state.documents) {
    const option = text("option", d.fileName);
    option.value = d.id;
    $("filter-document").append(option);
  }
  for (const group of groups) {
    const option = text("option", group);
    option.value = group;
    $("filter-group").append(option);
  }
  await route();
  await loadQueue();
  document.body.dataset.ready = "true";
})().catch((error) => say(error.message));
