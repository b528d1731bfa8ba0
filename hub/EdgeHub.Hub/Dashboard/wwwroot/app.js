// EdgeHub operator dashboard: reads /api/v1/events (server-sent events) with fetch() so the bearer token can be sent
// (EventSource cannot set headers), and drives rollouts through the REST API.
"use strict";
const TOKEN_KEY = "edgehub.token";
const $ = id => document.getElementById(id);
let stream = null;   // AbortController of the running event stream
let last = null;     // latest snapshot

function token() { return localStorage.getItem(TOKEN_KEY); }

function askToken(message) {
  $("login-error").textContent = message ?? "";
  if (!$("login").open) $("login").showModal();
}

$("login-form").addEventListener("submit", () => {
  localStorage.setItem(TOKEN_KEY, $("token").value.trim());
  $("token").value = "";
  connect();
});
$("signout").addEventListener("click", () => { localStorage.removeItem(TOKEN_KEY); stream?.abort(); askToken(); });

function setConn(state, text) {
  const c = $("conn");
  c.dataset.state = state;
  c.textContent = text;
  c.className = "pill " + (state === "live" ? "on" : "off");
}

async function connect() {
  stream?.abort();
  const t = token();
  if (!t) { askToken(); return; }
  const ctl = new AbortController();
  stream = ctl;
  let retryMs = 1000;
  while (!ctl.signal.aborted) {
    try {
      setConn("connecting", "connecting…");
      const res = await fetch("/api/v1/events", { headers: { Authorization: "Bearer " + t, Accept: "text/event-stream" }, signal: ctl.signal });
      if (res.status === 401 || res.status === 403) {
        const reason = await res.text();
        setConn("denied", "not signed in");
        askToken(`The hub refused this token (${res.status}): ${reason}`);
        return;
      }
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      setConn("live", "live");
      retryMs = 1000;
      await readEvents(res.body, ctl.signal);
    } catch (e) {
      if (ctl.signal.aborted) return;
      setConn("offline", "offline: " + e.message);
    }
    // Reconnect with a bounded back-off: the hub may be restarting.
    await new Promise(r => setTimeout(r, retryMs));
    retryMs = Math.min(retryMs * 2, 15000);
  }
}

// Minimal text/event-stream parser (HTML Living Standard 9.2.6): lines up to a blank line form one event; "data:" lines join with \n.
async function readEvents(body, signal) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "", data = [], type = "message";
  while (!signal.aborted) {
    const { value, done } = await reader.read();
    if (done) throw new Error("stream ended");
    buffer += value;
    let nl;
    while ((nl = buffer.indexOf("\n")) >= 0) {
      const line = buffer.slice(0, nl).replace(/\r$/, "");
      buffer = buffer.slice(nl + 1);
      if (line === "") {
        if (data.length && type === "snapshot") render(JSON.parse(data.join("\n")));
        data = []; type = "message";
      } else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
      else if (line.startsWith("event:")) type = line.slice(6).trim();
    }
  }
}

function cell(tr, text, cls) {
  const td = document.createElement("td");
  td.textContent = text ?? "–";
  if (cls) td.className = cls;
  tr.appendChild(td);
  return td;
}

function fmt(n, digits) { return n === null || n === undefined ? "–" : Number(n).toFixed(digits); }

function renderFleet(s) {
  const root = $("fleet");
  root.replaceChildren();
  for (const region of s.regions) {
    const edges = s.edges.filter(e => e.region === region.name);
    const online = edges.filter(e => e.online).length;
    const h = document.createElement("h3");
    h.textContent = `${region.name} — ${online}/${edges.length} online`;
    root.appendChild(h);
    const table = document.createElement("table");
    table.dataset.region = region.name;
    table.innerHTML = "<thead><tr><th>Edge</th><th>State</th><th>Model</th><th>Candidate</th><th>Queue</th><th>Pending rows</th><th>Devices</th><th>Frames/s</th><th>Drift PSI</th><th>Last seen</th></tr></thead>";
    const tbody = document.createElement("tbody");
    for (const e of edges) {
      const tr = document.createElement("tr");
      tr.dataset.edge = e.edgeId;
      tr.dataset.online = String(e.online);
      cell(tr, e.edgeId);
      const st = cell(tr, "");
      const pill = document.createElement("span");
      pill.className = "pill " + (e.online ? "on" : "off");
      pill.textContent = e.online ? "online" : "offline";
      st.appendChild(pill);
      cell(tr, (e.modelVersion ?? "none") + (e.pinnedModel ? " (pinned)" : ""), "model");
      cell(tr, e.candidateVersion ? `${e.candidateVersion} (${fmt(e.shadowAgreement * 100, 0)}% agree)` : "–");
      cell(tr, String(e.queueDepth));
      cell(tr, String(e.pendingRows));
      cell(tr, String(e.devices));
      cell(tr, fmt(e.framesPerSecond, 1));
      cell(tr, fmt(e.driftPsi, 3), e.driftPsi > 0.2 ? "warn" : "");
      cell(tr, e.lastSeen ? new Date(e.lastSeen).toLocaleTimeString() : "never");
      tbody.appendChild(tr);
    }
    if (edges.length === 0) { const tr = document.createElement("tr"); cell(tr, "no edges registered").colSpan = 10; tbody.appendChild(tr); }
    table.appendChild(tbody);
    root.appendChild(table);
  }
}

const FINAL = new Set(["Complete", "RolledBack"]);

async function act(rolloutId, verb) {
  $("action-error").textContent = "";
  const res = await fetch(`/api/v1/rollouts/${encodeURIComponent(rolloutId)}/${verb}`, {
    method: "POST",
    headers: { Authorization: "Bearer " + token(), "Content-Type": "application/json" },
    body: JSON.stringify({ reason: `dashboard ${verb}`, actor: "dashboard" }),
  });
  if (!res.ok) {
    let reason = await res.text();
    try { const j = JSON.parse(reason); reason = j.detail ?? j.title ?? j.error ?? reason; } catch { /* plain text */ }
    $("action-error").textContent = `${verb} failed (${res.status}): ${reason}`;
  }
}

function renderRollouts(s) {
  const root = $("rollouts");
  root.replaceChildren();
  if (s.rollouts.length === 0) { root.textContent = "No rollouts yet."; return; }
  for (const r of s.rollouts) {
    const div = document.createElement("div");
    div.className = "rollout";
    div.dataset.rollout = r.rolloutId;
    div.dataset.state = r.state;
    const head = document.createElement("div");
    head.innerHTML = `<strong></strong> <span class="muted"></span> <span class="pill state"></span>`;
    head.children[0].textContent = `${r.region}: ${r.previousModel ?? "none"} → ${r.modelVersion}`;
    head.children[1].textContent = r.rolloutId;
    const pill = head.children[2];
    pill.textContent = r.state;
    pill.classList.add(r.state === "RolledBack" ? "off" : "on");
    div.appendChild(head);
    const bar = document.createElement("div");
    bar.className = "bar";
    const total = Math.max(r.targets, 1);
    bar.innerHTML = `<span class="running" style="width:${100 * r.running / total}%"></span><span class="assigned" style="width:${100 * Math.max(r.assigned - r.running, 0) / total}%"></span>`;
    div.appendChild(bar);
    const p = document.createElement("div");
    p.className = "muted progress";
    p.textContent = `${r.running} running / ${r.assigned} assigned / ${r.targets} targets · phase ${Math.max(r.phase, 0)} of ${r.phases}` + (r.abortReason ? ` · ${r.abortReason}` : "");
    div.appendChild(p);
    if (!FINAL.has(r.state)) {
      const controls = document.createElement("div");
      controls.className = "controls";
      for (const [verb, label, enabled] of [["pause", "Pause", r.state !== "Paused"], ["resume", "Resume", r.state === "Paused"], ["promote", "Promote", r.state !== "Paused"], ["rollback", "Roll back", true]]) {
        const b = document.createElement("button");
        b.type = "button";
        b.textContent = label;
        b.dataset.action = verb;
        b.disabled = !enabled;
        b.addEventListener("click", () => {
          if (verb === "rollback" && !confirm(`Roll back ${r.region} to ${r.previousModel ?? "the previous model"}?`)) return;
          b.disabled = true;
          act(r.rolloutId, verb);
        });
        controls.appendChild(b);
      }
      div.appendChild(controls);
    }
    const ul = document.createElement("ul");
    ul.className = "events";
    for (const ev of r.recentEvents.slice(-4)) {
      const li = document.createElement("li");
      li.textContent = `${new Date(ev.at).toLocaleTimeString()} ${ev.kind}: ${ev.detail}` + (ev.actor ? ` (by ${ev.actor})` : "");
      ul.appendChild(li);
    }
    div.appendChild(ul);
    root.appendChild(div);
  }
}

function renderTimeline(s) {
  const root = $("timeline");
  root.replaceChildren();
  for (const d of s.datasets) {
    const h = document.createElement("h3");
    h.textContent = `${d.region}: version ${d.version}, ${d.rows.toLocaleString()} rows`;
    root.appendChild(h);
    root.appendChild(Charts.timeline(d.commits, Math.max(root.clientWidth - 10, 300), 120));
  }
}

function renderLineage(s) {
  const root = $("lineage");
  root.replaceChildren();
  for (const region of s.regions) {
    const models = s.models.filter(m => m.region === region.name);
    const h = document.createElement("h3");
    h.textContent = `${region.name}: ${models.length} model(s)`;
    root.appendChild(h);
    root.appendChild(Charts.lineage(models, Math.max(root.clientWidth - 10, 300)));
  }
}

function render(s) {
  last = s;
  renderFleet(s);
  renderRollouts(s);
  renderTimeline(s);
  renderLineage(s);
  $("updated").textContent = "updated " + new Date(s.at).toLocaleTimeString();
}

window.addEventListener("resize", () => { if (last) { renderTimeline(last); renderLineage(last); } });
connect();
