// Ferry's web page: one folder of the library at a time (the folder is the URL).
// Every name is put in the page with textContent, never as HTML. Every request
// that changes something carries X-Ferry (docs/security.md).
"use strict";

const $ = (id) => document.getElementById(id);
const state = { entries: [], info: null, folder: "" };

// The library path of the folder this page shows ("" for the library), from the URL.
function currentFolder() {
  const parts = location.pathname.split("/").filter(Boolean).map(decodeURIComponent);
  return parts.join("/");
}

function urlOf(path, folder) {
  const encoded = path.split("/").filter(Boolean).map(encodeURIComponent).join("/");
  return "/" + encoded + (folder && encoded ? "/" : "");
}

function joinPath(folder, name) {
  return folder ? folder + "/" + name : name;
}

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

// The clients' one convention (shared/sizes.py): binary units named as such, one decimal.
function formatSize(bytes) {
  const units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
  let value = bytes, unit = 0;
  while (unit < units.length - 1 && (unit === 0 ? value >= 1024 : Math.round(value * 10) / 10 >= 1024)) {
    value /= 1024;
    unit += 1;
  }
  return (unit ? value.toFixed(1) : String(value)) + " " + units[unit];
}

function formatDate(seconds) {
  return new Date(seconds * 1000).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

function setStatus(text, isError) {
  const status = $("status");
  status.textContent = text || "";
  status.className = isError ? "error" : "";
}

async function api(method, path, folder, body) {
  const headers = { "X-Ferry": "1" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(urlOf(path, folder), {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: "same-origin",
  });
  const answer = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(answer.message || response.statusText);
  return answer;
}

// -- the folder -------------------------------------------------------------

function renderCrumbs() {
  const crumbs = $("crumbs");
  crumbs.replaceChildren();
  const names = state.folder ? state.folder.split("/") : [];
  names.forEach((name, index) => {
    crumbs.append(element("span", "sep", "/"));
    const link = element("a", "", name);
    link.href = urlOf(names.slice(0, index + 1).join("/"), true);
    crumbs.append(link);
  });
  document.title = (names.length ? names[names.length - 1] + " – " : "") + "Ferry";
}

function sortedEntries() {
  const key = $("sort").value;
  const filter = $("filter").value.trim().toLowerCase();
  const shown = state.entries.filter((entry) => entry.name.toLowerCase().includes(filter));
  const byName = (a, b) => a.name.localeCompare(b.name, undefined, { numeric: true, sensitivity: "base" });
  shown.sort((a, b) => {
    if (a.type !== b.type) return a.type === "folder" ? -1 : 1;
    if (key === "mtime") return b.mtime - a.mtime || byName(a, b);
    if (key === "size") return (b.size || 0) - (a.size || 0) || byName(a, b);
    return byName(a, b);
  });
  return shown;
}

function renderEntries() {
  const list = $("entries");
  list.replaceChildren();
  const canChange = !state.info.read_only && !(state.info.auth === "write" && !state.info.signed_in);
  const canDelete = canChange && !state.info.no_delete;
  for (const entry of sortedEntries()) {
    const path = joinPath(state.folder, entry.name);
    const folder = entry.type === "folder";
    const row = element("li");
    row.dataset.name = entry.name;
    row.append(element("span", "icon", folder ? "📁" : "📄"));
    const link = element("a", "name", entry.name);
    link.href = urlOf(path, folder);
    row.append(link);
    const meta = element("span", "meta");
    meta.append(element("span", "size", folder ? "" : formatSize(entry.size)), element("span", "date", formatDate(entry.mtime)));
    row.append(meta);
    const actions = element("span", "actions");
    const download = element("a", "button download", "⬇");
    download.href = folder ? urlOf(path, true) + "?zip" : urlOf(path, false) + "?download";
    download.setAttribute("download", folder ? entry.name + ".zip" : entry.name);
    download.title = download.ariaLabel = "Download " + entry.name;
    actions.append(download);
    if (canDelete) {
      const rename = element("button", "rename", "✎");
      rename.type = "button";
      rename.title = rename.ariaLabel = "Rename " + entry.name;
      rename.addEventListener("click", () => renameEntry(entry));
      const remove = element("button", "delete", "🗑");
      remove.type = "button";
      remove.title = remove.ariaLabel = "Delete " + entry.name;
      remove.addEventListener("click", () => deleteEntry(entry));
      actions.append(rename, remove);
    }
    row.append(actions);
    list.append(row);
  }
  $("empty").hidden = state.entries.length > 0;
}

async function load() {
  const response = await fetch(urlOf(state.folder, true) + "?json", { headers: { Accept: "application/json" }, credentials: "same-origin" });
  if (response.status === 401) return showLogin();
  const answer = await response.json().catch(() => ({}));
  if (!response.ok) {
    $("browser").hidden = false;
    setStatus(answer.message || "Cannot read this folder", true);
    return;
  }
  state.entries = answer.entries;
  $("login").hidden = true;
  $("browser").hidden = false;
  renderEntries();
}

// -- changes ----------------------------------------------------------------

async function renameEntry(entry) {
  const name = prompt("New name for " + entry.name, entry.name);
  if (!name || name === entry.name) return;
  try {
    await api("POST", joinPath(state.folder, entry.name), entry.type === "folder", { op: "rename", to: joinPath(state.folder, name) });
    setStatus("Renamed " + entry.name + " to " + name);
  } catch (error) {
    setStatus("Cannot rename " + entry.name + ": " + error.message, true);
  }
  await load();
}

async function deleteEntry(entry) {
  const folder = entry.type === "folder";
  if (!confirm("Delete " + entry.name + (folder ? " and everything in it" : "") + "?")) return;
  try {
    const path = urlOf(joinPath(state.folder, entry.name), folder) + (folder ? "?recursive=1" : "");
    const response = await fetch(path, { method: "DELETE", headers: { "X-Ferry": "1" }, credentials: "same-origin" });
    const answer = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(answer.message || response.statusText);
    setStatus("Deleted " + entry.name);
  } catch (error) {
    setStatus("Cannot delete " + entry.name + ": " + error.message, true);
  }
  await load();
}

async function newFolder() {
  const name = prompt("Name of the new folder");
  if (!name) return;
  try {
    await api("POST", joinPath(state.folder, name), true, { op: "mkdir" });
    setStatus("Made the folder " + name);
  } catch (error) {
    setStatus("Cannot make " + name + ": " + error.message, true);
  }
  await load();
}

// -- uploads ----------------------------------------------------------------

// One file's PUT with its progress; resolves to the HTTP status.
function put(path, file, overwrite, onProgress) {
  return new Promise((resolve) => {
    const request = new XMLHttpRequest();
    request.open("PUT", urlOf(path, false) + (overwrite ? "?overwrite=1" : ""));
    request.setRequestHeader("X-Ferry", "1");
    request.upload.onprogress = (event) => onProgress(event.loaded, event.lengthComputable ? event.total : file.size);
    request.onload = () => {
      let message = "";
      try { message = JSON.parse(request.responseText).message || ""; } catch (error) { message = ""; }
      resolve({ status: request.status, message });
    };
    request.onerror = () => resolve({ status: 0, message: "the connection failed" });
    request.send(file);
  });
}

async function uploadOne(item) {
  const row = element("li");
  const bar = element("progress");
  bar.max = Math.max(item.file.size, 1);
  bar.value = 0;
  const label = element("span", "state", "waiting");
  row.append(element("span", "file", item.path), bar, label);
  $("uploads").append(row);
  const path = joinPath(state.folder, item.path);
  const progress = (loaded, total) => {
    bar.max = Math.max(total, 1);
    bar.value = loaded;
    label.textContent = formatSize(loaded) + " / " + formatSize(total);
  };
  let result = await put(path, item.file, false, progress);
  if (result.status === 409 && confirm(item.path + " already exists. Replace it?")) {
    result = await put(path, item.file, true, progress);
  }
  if (result.status === 201) {
    bar.value = bar.max;
    label.textContent = "done";
    row.className = "done";
  } else {
    label.textContent = result.status === 409 ? "kept the existing file" : "failed: " + result.message;
    row.className = "failed";
  }
}

// Two files at a time: progress for each, and one slow file does not hold the rest.
async function uploadAll(items) {
  if (!items.length) return;
  setStatus("Uploading " + items.length + (items.length === 1 ? " file" : " files"));
  const queue = items.slice();
  const lane = async () => { while (queue.length) await uploadOne(queue.shift()); };
  await Promise.all([lane(), lane()]);
  setStatus("");
  await load();
}

function readEntries(reader) {
  return new Promise((resolve, reject) => reader.readEntries(resolve, reject));
}

// Files of a dropped file or folder (FileSystemEntry), with their paths below the drop.
async function filesOf(entry, prefix, out) {
  if (entry.isFile) {
    const file = await new Promise((resolve, reject) => entry.file(resolve, reject));
    out.push({ file, path: prefix + entry.name });
  } else if (entry.isDirectory) {
    const reader = entry.createReader();
    for (let batch = await readEntries(reader); batch.length; batch = await readEntries(reader)) {
      for (const inner of batch) await filesOf(inner, prefix + entry.name + "/", out);
    }
  }
}

async function dropped(transfer) {
  const items = [];
  const entries = Array.from(transfer.items || []).map((item) => item.webkitGetAsEntry && item.webkitGetAsEntry()).filter(Boolean);
  if (entries.length) {
    for (const entry of entries) await filesOf(entry, "", items);
  } else {
    for (const file of transfer.files) items.push({ file, path: file.name });
  }
  await uploadAll(items);
}

function picked(input) {
  const items = Array.from(input.files).map((file) => ({ file, path: file.webkitRelativePath || file.name }));
  input.value = "";
  uploadAll(items);
}

// -- sign-in ------------------------------------------------------------------

function showLogin() {
  $("browser").hidden = true;
  $("login").hidden = false;
  $("token").focus();
}

async function signIn(event) {
  event.preventDefault();
  const response = await fetch("/.ferry/login", {
    method: "POST", headers: { "X-Ferry": "1", "Content-Type": "application/json" },
    body: JSON.stringify({ token: $("token").value }), credentials: "same-origin",
  });
  if (!response.ok) {
    $("login-error").textContent = "Wrong token";
    return;
  }
  $("token").value = "";
  $("login-error").textContent = "";
  await start();
}

// -- start --------------------------------------------------------------------

async function start() {
  state.folder = currentFolder();
  renderCrumbs();
  state.info = await (await fetch("/.ferry/info", { credentials: "same-origin" })).json();
  const mustSignInToWrite = state.info.auth === "write" && !state.info.signed_in;
  for (const node of document.querySelectorAll(".writes")) node.hidden = state.info.read_only || mustSignInToWrite;
  $("sign-in").hidden = !mustSignInToWrite;
  if (state.info.auth === true && !state.info.signed_in) return showLogin();
  await load();
}

function wire() {
  $("filter").addEventListener("input", renderEntries);
  $("sort").addEventListener("change", renderEntries);
  $("pick-files").addEventListener("change", (event) => picked(event.target));
  $("pick-folder").addEventListener("change", (event) => picked(event.target));
  $("new-folder").addEventListener("click", newFolder);
  $("login-form").addEventListener("submit", signIn);
  $("sign-in").addEventListener("click", showLogin);
  let depth = 0;
  const hint = $("drop-hint");
  document.addEventListener("dragenter", (event) => { event.preventDefault(); depth += 1; hint.hidden = state.info?.read_only; });
  document.addEventListener("dragleave", () => { depth = Math.max(0, depth - 1); if (!depth) hint.hidden = true; });
  document.addEventListener("dragover", (event) => event.preventDefault());
  document.addEventListener("drop", (event) => {
    event.preventDefault();
    depth = 0;
    hint.hidden = true;
    if (state.info && !state.info.read_only) dropped(event.dataTransfer);
  });
  start();
}

wire();
