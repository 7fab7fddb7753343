// Corral's web page: sign in with a token, watch jobs and quotas live over SignalR, submit and cancel jobs,
// stream a job's logs. Plain JavaScript against the public REST API and the /hubs/jobs hub.
"use strict";

const state = {
  token: sessionStorage.getItem("corral.token"),
  me: null,
  jobs: new Map(),
  quotas: new Map(),
  connection: null,
  openJob: null,
  logSeq: -1,
  // Where the output shown starts (chunk, byte in it): older output is read a page at a time before it.
  logFirstSeq: -1,
  logFirstOffset: 0,
  // The job whose result files are listed (set once it ended, so they are read once).
  filesShownFor: null,
};

const $ = (selector) => document.querySelector(selector);

function showError(message) {
  const box = $("#error");
  box.textContent = message;
  box.hidden = !message;
}

// Every API call goes through here: a problem+json answer is shown as the user would want it.
async function api(path, options = {}) {
  const response = await fetch(path, {
    ...options,
    headers: { Authorization: `Bearer ${state.token}`, ...(options.headers || {}) },
  });
  const type = response.headers.get("content-type") || "";
  const body = type.includes("json") ? await response.json() : await response.text();
  if (!response.ok) {
    const detail = typeof body === "object" ? describeProblem(body) : body || response.statusText;
    throw new Error(detail);
  }
  return body;
}

function describeProblem(problem) {
  if (problem.errors) {
    return Object.entries(problem.errors).map(([field, messages]) => `${field}: ${[].concat(messages).join(", ")}`).join("\n");
  }
  // job-orchestrator's routes (/upload) answer {"id": 0, "status": "Unknown", "message"}.
  return problem.detail || problem.message || problem.title || "The request failed.";
}

function formatBytes(bytes) {
  if (!bytes) return "0 B";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes, unit = 0;
  while (value >= 1024 && unit < units.length - 1) { value /= 1024; unit++; }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

function cell(text, className) {
  const td = document.createElement("td");
  td.textContent = text ?? "";
  if (className) td.className = className;
  return td;
}

function renderJobs() {
  const body = $("#jobs tbody");
  body.replaceChildren();
  const jobs = [...state.jobs.values()].sort((a, b) => b.submittedAt.localeCompare(a.submittedAt));
  for (const job of jobs) {
    const row = document.createElement("tr");
    row.dataset.jobId = job.id;
    const link = document.createElement("a");
    link.href = `#/jobs/${job.id}`;
    link.textContent = job.id.slice(0, 12);
    const idCell = document.createElement("td");
    idCell.append(link);
    row.append(idCell, cell(job.user), cell(job.service), cell(job.status, `status status-${job.status}`),
      cell(job.terminationReason || job.message || ""), cell(job.queuePosition ?? ""),
      cell(formatBytes(job.logBytesTotal)), cell(formatBytes(job.egressBytes)),
      cell(new Date(job.submittedAt).toLocaleTimeString()));
    const actions = document.createElement("td");
    if (!["succeeded", "failed", "cancelled"].includes(job.status)) {
      const cancel = document.createElement("button");
      cancel.textContent = "Cancel";
      cancel.className = "cancel";
      cancel.onclick = () => cancelJob(job.id);
      actions.append(cancel);
    }
    row.append(actions);
    body.append(row);
  }
}

function renderQuotas() {
  const body = $("#quotas tbody");
  body.replaceChildren();
  for (const quota of [...state.quotas.values()].sort((a, b) => a.service.localeCompare(b.service))) {
    const row = document.createElement("tr");
    row.dataset.service = quota.service;
    row.append(cell(quota.service), cell(`${quota.running}/${quota.limit}`), cell(quota.queued));
    body.append(row);
  }
}

function renderJobPage() {
  const job = state.jobs.get(state.openJob);
  $("#job-id").textContent = state.openJob;
  const facts = $("#job-facts");
  facts.replaceChildren();
  if (!job) return;
  const limits = job.limits
    ? `${job.limits.cpu} CPU, ${formatBytes(job.limits.memoryBytes)}, ${job.limits.pids} pids${job.limits.gpus.length ? `, GPUs ${job.limits.gpus.join(",")}` : ""}`
    : "not placed yet";
  const rows = [
    ["Status", job.status], ["Reason", job.terminationReason || ""], ["Message", job.message || ""],
    ["Exit code", job.exitCode ?? ""], ["Service", job.service], ["Image", job.image],
    ["Command", (job.command || []).join(" ")], ["Worker", job.worker || ""], ["Queue position", job.queuePosition ?? ""],
    ["Limits", limits], ["Log bytes (this hour / total)", `${formatBytes(job.logBytesThisHour)} / ${formatBytes(job.logBytesTotal)}`],
    ["Egress", formatBytes(job.egressBytes)], ["SSH", job.ssh ? `ssh -p ${job.ssh.port} ${job.ssh.user}@${job.ssh.host}` : ""],
  ];
  for (const [name, value] of rows) {
    const dt = document.createElement("dt");
    dt.textContent = name;
    const dd = document.createElement("dd");
    dd.textContent = value;
    dd.dataset.fact = name.toLowerCase().replace(/[^a-z]+/g, "-");
    facts.append(dt, dd);
  }
  $("#cancel").hidden = ["succeeded", "failed", "cancelled"].includes(job.status);
  // The live feed says the job ended: its results are collected by then, so list them once.
  if (isEnded(job) && state.filesShownFor !== job.id) loadFiles(job.id).catch((error) => showError(error.message));
}

const isEnded = (job) => ["succeeded", "failed", "cancelled"].includes(job.status);

// A job's result files, with a download link each and one for a ZIP of all (a snapshot while it runs).
async function loadFiles(jobId) {
  const list = await api(`/api/jobs/${jobId}/files`);
  if (state.openJob !== jobId) return;
  state.filesShownFor = isEnded({ status: list.status }) ? jobId : null;
  $("#files-note").textContent = list.message || (list.items.length ? "" : "The job left no files.");
  const zip = $("#files-zip");
  zip.textContent = isEnded({ status: list.status }) ? "Download all as ZIP" : "Download a snapshot of its directory (ZIP)";
  zip.onclick = (event) => { event.preventDefault(); download(`/api/jobs/${jobId}/download`, `${jobId}.zip`); };
  zip.hidden = list.status !== "running" && !(list.files.available && list.items.length);
  const body = $("#files tbody");
  body.replaceChildren();
  for (const file of list.items) {
    const link = document.createElement("a");
    link.href = "#";
    link.textContent = file.path;
    link.onclick = (event) => {
      event.preventDefault();
      download(`/api/jobs/${jobId}/files/${file.path.split("/").map(encodeURIComponent).join("/")}`, file.path.split("/").pop());
    };
    const name = document.createElement("td");
    name.append(link);
    const row = document.createElement("tr");
    row.dataset.path = file.path;
    row.append(name, cell(formatBytes(file.size)));
    body.append(row);
  }
}

// Downloads carry the token in a header, so they are fetched as a blob and saved from there.
async function download(path, fileName) {
  const response = await fetch(path, { headers: { Authorization: `Bearer ${state.token}` } });
  if (!response.ok) { showError(`could not download ${fileName} (${response.status})`); return; }
  const link = document.createElement("a");
  link.href = URL.createObjectURL(await response.blob());
  link.download = fileName;
  link.click();
  URL.revokeObjectURL(link.href);
}

async function renderWorkers() {
  if (!state.me?.isAdmin) return;
  $("#workers-section").hidden = false;
  const workers = await api("/api/workers");
  const body = $("#workers tbody");
  body.replaceChildren();
  for (const w of workers) {
    const row = document.createElement("tr");
    const caps = w.sshCaps.maxCpu || w.sshCaps.maxMemoryBytes || w.sshCaps.maxPids
      ? `${w.sshCaps.maxCpu ?? "-"} CPU, ${w.sshCaps.maxMemoryBytes ? formatBytes(w.sshCaps.maxMemoryBytes) : "-"}, ${w.sshCaps.maxPids ?? "-"} pids`
      : "uncapped";
    row.append(cell(w.name), cell(w.alive ? (w.draining ? "yes (draining)" : "yes") : "no"), cell(`${w.allocatedCpu}/${w.capacity.cpu}`),
      cell(`${formatBytes(w.allocatedMemoryBytes)}/${formatBytes(w.capacity.memoryBytes)}`),
      cell(w.capacity.gpus.map((g) => g.name).join(", ") || "none"), cell(caps), cell(w.jobs.length));
    body.append(row);
  }
}

// The operations view (admins): jobs not yet ended per service, and why recent jobs failed.
async function renderOverview() {
  if (!state.me?.isAdmin) return;
  $("#operations-section").hidden = false;
  const overview = await api("/api/admin/overview");
  const services = $("#service-load tbody");
  services.replaceChildren();
  for (const s of overview.services) {
    const row = document.createElement("tr");
    row.append(cell(s.service), cell(s.queued), cell(s.pending + s.starting), cell(s.running));
    services.append(row);
  }
  if (overview.services.length === 0) services.append(emptyRow(4, "No jobs waiting or running."));
  const failures = $("#recent-failures tbody");
  failures.replaceChildren();
  for (const f of overview.recentFailures) {
    const row = document.createElement("tr");
    const last = document.createElement("td");
    const link = document.createElement("a");
    link.href = `#/jobs/${f.lastJobId}`;
    link.textContent = new Date(f.lastFinishedAt).toLocaleString();
    last.append(link);
    row.append(cell(f.reason), cell(f.jobs), last);
    failures.append(row);
  }
  if (overview.recentFailures.length === 0) failures.append(emptyRow(3, "No failures in the last 24 hours."));
}

function emptyRow(columns, text) {
  const row = document.createElement("tr");
  const td = cell(text, "empty");
  td.colSpan = columns;
  row.append(td);
  return row;
}

function onJobUpdated(job) {
  const known = state.jobs.get(job.id);
  // Events for one job arrive in order; the history length guards against a late duplicate.
  if (known && known.history.length > job.history.length) return;
  state.jobs.set(job.id, job);
  renderJobs();
  if (state.openJob === job.id) renderJobPage();
}

function onLogAppended(chunk) {
  if (chunk.jobId !== state.openJob || chunk.seq <= state.logSeq) return;
  if (chunk.seq !== state.logSeq + 1) {
    // A chunk was missed between the snapshot and the live stream: read the stored log again.
    loadLogs(chunk.jobId);
    return;
  }
  state.logSeq = chunk.seq;
  appendLog(chunk.text);
}

function appendLog(text) {
  const pre = $("#logs");
  const atBottom = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 4;
  pre.textContent += text;
  if (atBottom) pre.scrollTop = pre.scrollHeight;
}

// watchLogs answers the end of the stored output (its last 256 KiB), not all of it.
async function loadLogs(jobId) {
  const snapshot = await state.connection.invoke("watchLogs", jobId);
  if (state.openJob !== jobId) return;
  state.logSeq = snapshot.lastSeq;
  state.logFirstSeq = snapshot.firstSeq;
  state.logFirstOffset = snapshot.firstOffset;
  $("#logs").textContent = snapshot.text;
  $("#logs-earlier").hidden = !snapshot.hasEarlier;
}

async function loadEarlierLogs() {
  const jobId = state.openJob;
  const page = await state.connection.invoke("readLogsBefore", jobId, state.logFirstSeq, state.logFirstOffset);
  if (state.openJob !== jobId) return;
  const pre = $("#logs");
  const fromBottom = pre.scrollHeight - pre.scrollTop;
  pre.textContent = page.text + pre.textContent;
  pre.scrollTop = pre.scrollHeight - fromBottom;
  if (page.firstSeq >= 0) [state.logFirstSeq, state.logFirstOffset] = [page.firstSeq, page.firstOffset];
  $("#logs-earlier").hidden = !page.hasEarlier;
}

// The whole log is a plain download (the API streams it); the token goes in the header, so fetch it as a blob.
async function downloadLogs(event) {
  event.preventDefault();
  const jobId = state.openJob;
  const response = await fetch(`/api/jobs/${jobId}/logs`, { headers: { Authorization: `Bearer ${state.token}` } });
  if (!response.ok) { showError(`could not download the log (${response.status})`); return; }
  const link = document.createElement("a");
  link.href = URL.createObjectURL(await response.blob());
  link.download = `${jobId}.log`;
  link.click();
  URL.revokeObjectURL(link.href);
}

async function connect() {
  const connection = new signalR.HubConnectionBuilder()
    .withUrl("/hubs/jobs", { accessTokenFactory: () => state.token })
    .withAutomaticReconnect([0, 1000, 2000, 5000, 10000])
    .build();
  connection.on("jobUpdated", onJobUpdated);
  connection.on("quotaUpdated", (quota) => { state.quotas.set(quota.service, quota); renderQuotas(); });
  connection.on("logAppended", onLogAppended);
  connection.onreconnecting(() => setLive(false));
  connection.onreconnected(async () => {
    setLive(true);
    // The hub sent the current jobs and quotas again on reconnect; logs need asking for.
    if (state.openJob) await loadLogs(state.openJob);
  });
  connection.onclose(() => setLive(false));
  state.connection = connection;
  await connection.start();
  setLive(true);
}

function setLive(on) {
  const badge = $("#live");
  badge.textContent = on ? "live" : "offline";
  badge.className = `badge ${on ? "on" : "off"}`;
}

async function cancelJob(id) {
  try {
    onJobUpdated(await api(`/api/jobs/${id}/cancel`, { method: "POST" }));
    showError("");
  } catch (error) {
    showError(error.message);
  }
}

async function submitJob(event) {
  event.preventDefault();
  const form = event.target;
  const value = (name) => form.elements[name].value.trim();
  const resources = {};
  const numberOrText = (text) => (text !== "" && !Number.isNaN(Number(text)) ? Number(text) : text);
  if (value("cpu")) resources.cpu = numberOrText(value("cpu"));
  if (value("memory")) resources.memory = value("memory");
  if (value("pids")) resources.pids = numberOrText(value("pids"));
  const spec = { service: value("service"), command: ["sh", "-c", form.elements.command.value], resources };
  if (value("image")) spec.image = value("image");
  // With input files the spec goes as a "spec" part beside them; each file's name is its path in /work.
  const inputs = [...form.elements.inputs.files];
  let request = { headers: { "Content-Type": "application/json" }, body: JSON.stringify(spec) };
  if (inputs.length) {
    const body = new FormData();
    body.append("spec", JSON.stringify(spec));
    for (const file of inputs) body.append("file", file, file.webkitRelativePath || file.name);
    request = { headers: {}, body };
  }
  try {
    const accepted = await api("/api/jobs", {
      method: "POST",
      headers: { ...request.headers, "Idempotency-Key": crypto.randomUUID() },
      body: request.body,
    });
    showError("");
    location.hash = `#/jobs/${accepted.id}`;
  } catch (error) {
    showError(error.message);
  }
}

async function uploadScript(event) {
  event.preventDefault();
  try {
    const accepted = await api("/upload", { method: "POST", body: new FormData(event.target) });
    showError("");
    location.hash = `#/jobs/${accepted.id}`;
  } catch (error) {
    showError(error.message);
  }
}

async function route() {
  const match = location.hash.match(/^#\/jobs\/([a-f0-9]{32})$/);
  const previous = state.openJob;
  state.openJob = match ? match[1] : null;
  $("#home").hidden = !!match;
  $("#job").hidden = !match;
  if (previous && previous !== state.openJob && state.connection) {
    await state.connection.invoke("unwatchLogs", previous).catch(() => {});
  }
  if (!match) {
    await renderWorkers().catch((error) => showError(error.message));
    await renderOverview().catch((error) => showError(error.message));
    return;
  }
  state.logSeq = -1;
  state.logFirstSeq = -1;
  state.logFirstOffset = 0;
  $("#logs").textContent = "";
  $("#logs-earlier").hidden = true;
  state.filesShownFor = null;
  $("#files tbody").replaceChildren();
  $("#files-zip").hidden = true;
  $("#files-note").textContent = "";
  try {
    onJobUpdated(await api(`/api/jobs/${state.openJob}`));
    if (!isEnded(state.jobs.get(state.openJob))) await loadFiles(state.openJob);
    await loadLogs(state.openJob);
  } catch (error) {
    showError(error.message);
  }
}

async function signIn(token) {
  state.token = token;
  try {
    state.me = await api("/api/me");
  } catch (error) {
    sessionStorage.removeItem("corral.token");
    state.token = null;
    $("#sign-in").hidden = false;
    showError(`Sign-in failed: ${error.message}`);
    return;
  }
  sessionStorage.setItem("corral.token", token);
  showError("");
  $("#sign-in").hidden = true;
  $("#app").hidden = false;
  $("#sign-out").hidden = false;
  $("#who").textContent = `${state.me.name}${state.me.isAdmin ? " (admin)" : ""}`;
  await connect();
  await route();
  if (state.me.isAdmin) {
    // Counts across every user: polled, not pushed, so admins' pages cost the cluster nothing per job event.
    setInterval(() => { if (!state.openJob) renderOverview().catch(() => {}); }, 10_000);
  }
}

$("#sign-in-form").addEventListener("submit", (event) => {
  event.preventDefault();
  signIn($("#token").value.trim());
});
$("#sign-out").addEventListener("click", () => {
  sessionStorage.removeItem("corral.token");
  location.hash = "";
  location.reload();
});
$("#submit-form").addEventListener("submit", submitJob);
$("#upload-form").addEventListener("submit", uploadScript);
$("#cancel").addEventListener("click", () => cancelJob(state.openJob));
$("#load-earlier").addEventListener("click", () => loadEarlierLogs().catch((error) => showError(error.message)));
$("#logs-download").addEventListener("click", (event) => downloadLogs(event).catch((error) => showError(error.message)));
window.addEventListener("hashchange", route);

if (state.token) {
  signIn(state.token);
} else {
  $("#sign-in").hidden = false;
}
