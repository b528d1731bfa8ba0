// Clinician page of an edge agent: active alerts (GET /api/alerts), live changes (GET /api/alerts/stream, server-sent
// events read with fetch so a lost connection is noticed and retried), ECG strips on canvas, and labels (POST /api/labels).
// Sign-in: the link the operator hands out ends in #token=…; the fragment never reaches the server or its logs. The page
// trades it once (POST /api/clinician/session, Authorization: Bearer) for an HttpOnly SameSite=Strict cookie, removes it
// from the address bar, and every later request rides on the cookie. Without a link, a 401 shows the sign-in form.
"use strict";
const $ = id => document.getElementById(id);
const cards = new Map(); // alertId -> { el, alert }

function setConn(state, text) {
  const c = $("conn");
  c.dataset.state = state;
  c.textContent = text;
  c.className = "pill " + (state === "live" ? "on" : "off");
}

// ECG paper: 25 mm/s, 10 mm/mV; grid 0.2 s / 0.5 mV major, 0.04 s / 0.1 mV minor.
function drawStrip(canvas, strip) {
  const dpr = window.devicePixelRatio || 1;
  const w = canvas.clientWidth || 900, h = canvas.clientHeight || 160;
  canvas.width = Math.round(w * dpr); canvas.height = Math.round(h * dpr);
  const g = canvas.getContext("2d");
  g.setTransform(dpr, 0, 0, dpr, 0, 0);
  g.fillStyle = "#fff7f7"; g.fillRect(0, 0, w, h);
  if (!strip || !strip.milliVolts || strip.milliVolts.length < 2) {
    g.fillStyle = "#8d99a6"; g.font = "14px system-ui"; g.fillText("no ECG strip with this alert", 10, h / 2); return;
  }
  const mv = strip.milliVolts, rate = strip.sampleRate, seconds = mv.length / rate;
  const pxPerSec = w / seconds;
  let lo = Infinity, hi = -Infinity;
  for (const v of mv) { if (Number.isFinite(v)) { if (v < lo) lo = v; if (v > hi) hi = v; } }
  if (!Number.isFinite(lo)) { lo = -1; hi = 1; }
  const span = Math.max(hi - lo, 2);                // at least 2 mV tall
  const mid = (hi + lo) / 2, pxPerMv = (h - 10) / span;
  const y = v => h / 2 - (v - mid) * pxPerMv;
  for (let t = 0; t <= seconds; t += 0.04) {
    const major = Math.abs(t / 0.2 - Math.round(t / 0.2)) < 1e-6;
    g.strokeStyle = major ? "#f3b5b5" : "#fbe3e3"; g.lineWidth = 1;
    g.beginPath(); g.moveTo(t * pxPerSec, 0); g.lineTo(t * pxPerSec, h); g.stroke();
  }
  for (let v = Math.floor((mid - span) * 10) / 10; v <= mid + span; v += 0.1) {
    const major = Math.abs(v * 2 - Math.round(v * 2)) < 1e-6;
    g.strokeStyle = major ? "#f3b5b5" : "#fbe3e3";
    g.beginPath(); g.moveTo(0, y(v)); g.lineTo(w, y(v)); g.stroke();
  }
  g.strokeStyle = "#111"; g.lineWidth = 1.3; g.beginPath();
  let pen = false;
  for (let i = 0; i < mv.length; i++) {
    const v = mv[i];
    if (!Number.isFinite(v)) { pen = false; continue; }   // lead-off gaps stay gaps
    const px = i / rate * pxPerSec;
    if (pen) g.lineTo(px, y(v)); else { g.moveTo(px, y(v)); pen = true; }
  }
  g.stroke();
  g.fillStyle = "#555"; g.font = "11px system-ui";
  g.fillText(`${seconds.toFixed(1)} s · ${rate} Hz`, 6, h - 6);
}

function fill(card, a) {
  const el = card.el;
  el.dataset.severity = a.severity;
  el.dataset.kind = a.kind;
  el.dataset.state = a.state;
  el.querySelector(".sev").textContent = a.severity;
  el.querySelector(".kind").textContent = a.kind.replace(/_/g, " ");
  el.querySelector(".bed").textContent = a.bed ? "Bed " + a.bed : "no bed";
  el.querySelector(".patient").textContent = a.patientPseudonym;
  el.querySelector(".since").textContent = "since " + new Date(a.startedAt).toLocaleTimeString();
  el.querySelector(".hr").textContent = a.heartRate == null ? "–" : Math.round(a.heartRate);
  el.querySelector(".spo2").textContent = a.spO2 == null ? "–" : a.spO2;
  el.querySelector(".prob").textContent = a.probability == null ? "" : `p=${a.probability.toFixed(2)}`;
  el.querySelector(".source").textContent = a.source === "safety" ? "safety rule" : `model ${a.modelVersion ?? ""}`;
  if (a.strip) drawStrip(el.querySelector("canvas"), a.strip);
  else if (!card.drawn) drawStrip(el.querySelector("canvas"), null);
  card.drawn = card.drawn || !!a.strip;
}

async function label(alertId, action, labelName, card) {
  const status = card.el.querySelector(".status");
  const buttons = card.el.querySelectorAll("button");
  buttons.forEach(b => b.disabled = true);
  status.textContent = "sending…";
  try {
    const res = await fetch("/api/labels", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ alertId, action, label: labelName || null, at: new Date().toISOString() }),
    });
    if (res.status === 401) showSignIn(await reasonOf(res));
    if (!res.ok) {
      let reason = await res.text();
      try { reason = JSON.parse(reason).detail ?? reason; } catch { /* plain text */ }
      throw new Error(`${res.status}: ${reason}`);
    }
    status.textContent = action === "relabel" ? `relabelled ${labelName}` : action === "acknowledge" ? "acknowledged" : action + "ed";
    card.el.dataset.labelled = action;
    if (action !== "acknowledge") card.el.classList.add("done");
    else buttons.forEach(b => b.disabled = false);
  } catch (e) {
    status.textContent = "";
    $("error").textContent = `Label not saved (${e.message}). Try again.`;
    buttons.forEach(b => b.disabled = false);
  }
}

function upsert(a) {
  if (a.state === "cleared") {
    const c = cards.get(a.alertId);
    // A labelled alert stays until it clears; an unlabelled cleared alert stays visible (marked) so it can still be labelled.
    if (c) { c.el.dataset.state = "cleared"; c.el.querySelector(".since").textContent = "cleared " + new Date(a.updatedAt).toLocaleTimeString(); }
    return;
  }
  let card = cards.get(a.alertId);
  if (!card) {
    const el = $("alert-card").content.firstElementChild.cloneNode(true);
    el.dataset.alert = a.alertId;
    card = { el, alert: a, drawn: false };
    cards.set(a.alertId, card);
    for (const b of el.querySelectorAll("button")) {
      b.addEventListener("click", () => {
        const action = b.dataset.action;
        const chosen = el.querySelector(".relabel").value;
        if (action === "relabel" && !chosen) { $("error").textContent = "Pick a class to relabel as."; return; }
        $("error").textContent = "";
        label(a.alertId, action, action === "relabel" ? chosen : null, card);
      });
    }
    $("alerts").append(el);
  }
  card.alert = a;
  fill(card, a);
  order();
  $("empty").hidden = cards.size > 0;
}

// Most severe first, then newest: the alert that needs the clinician most is at the top of the tablet.
const RANK = { Critical: 3, High: 2, Medium: 1, Low: 0 };
function order() {
  const sorted = [...cards.values()].sort((x, y) =>
    (RANK[y.alert.severity] ?? 0) - (RANK[x.alert.severity] ?? 0) || Date.parse(y.alert.startedAt) - Date.parse(x.alert.startedAt));
  const root = $("alerts");
  sorted.forEach((c, i) => { if (root.children[i + 1] !== c.el) root.insertBefore(c.el, root.children[i + 1] ?? null); });
}

class AuthError extends Error {}

async function reasonOf(res) {
  const text = await res.clone().text();
  try { return JSON.parse(text).detail ?? text; } catch { return text; }
}

function showSignIn(reason) {
  $("signin").hidden = false;
  $("signout").hidden = true;
  $("who").textContent = "";
  $("error").textContent = reason;
}

// Exchanges a token for the sign-in cookie; true when the edge accepted it.
async function signIn(token) {
  const res = await fetch("/api/clinician/session", { method: "POST", headers: { Authorization: "Bearer " + token } });
  if (!res.ok) { showSignIn(await reasonOf(res)); return false; }
  const who = await res.json();
  $("who").textContent = "signed in as " + who.name + (who.sites.length ? " · " + who.sites.join(", ") : "");
  $("signin").hidden = true;
  $("signout").hidden = false;
  $("error").textContent = "";
  return true;
}

async function loadActive() {
  const res = await fetch("/api/alerts");
  if (res.status === 401) throw new AuthError(await reasonOf(res));
  if (!res.ok) throw new Error(`GET /api/alerts: HTTP ${res.status}`);
  for (const a of await res.json()) upsert(a);
  $("empty").hidden = cards.size > 0;
}

async function readEvents(body) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "", data = [], type = "message";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) throw new Error("stream ended");
    buffer += value;
    let nl;
    while ((nl = buffer.indexOf("\n")) >= 0) {
      const line = buffer.slice(0, nl).replace(/\r$/, "");
      buffer = buffer.slice(nl + 1);
      if (line === "") {
        if (data.length && type === "alert") upsert(JSON.parse(data.join("\n")));
        data = []; type = "message";
      } else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
      else if (line.startsWith("event:")) type = line.slice(6).trim();
    }
  }
}

let wake = null;   // resolves the sign-in wait
let stream = null; // AbortController of the open alert stream (sign-out closes it)

async function run() {
  const fragment = new URLSearchParams(location.hash.slice(1));
  if (fragment.has("token")) {
    const token = fragment.get("token");
    history.replaceState(null, "", location.pathname + location.search); // the secret leaves the address bar and history
    await signIn(token);
  }
  $("signin").addEventListener("submit", async e => {
    e.preventDefault();
    if (await signIn($("token").value)) { $("token").value = ""; if (wake) wake(); }
  });
  $("signout").addEventListener("click", async () => {
    await fetch("/api/clinician/session", { method: "DELETE" });
    if (stream) stream.abort();
    showSignIn("signed out");
    for (const c of cards.values()) c.el.remove();
    cards.clear();
    $("empty").hidden = false;
  });
  fetch("/api/status").then(r => r.ok ? r.json() : null).then(s => { if (s) $("edge").textContent = `${s.edgeId} · ${s.region}`; }).catch(() => {});
  let retryMs = 1000;
  for (;;) {
    try {
      setConn("connecting", "connecting…");
      stream = new AbortController();
      const res = await fetch("/api/alerts/stream", { headers: { Accept: "text/event-stream" }, signal: stream.signal });
      if (res.status === 401) throw new AuthError(await reasonOf(res));
      if (!res.ok) throw new Error(`HTTP ${res.status}: ${await reasonOf(res)}`);
      // Subscribe first, then load the active set, so nothing raised in between is missed (upsert is idempotent).
      const reading = readEvents(res.body);
      await loadActive();
      setConn("live", "live");
      retryMs = 1000;
      await reading;
    } catch (e) {
      if (e instanceof AuthError) {
        setConn("signin", "sign-in needed");
        showSignIn(e.message);
        await new Promise(r => { wake = r; }); // wait for the sign-in form, not a timer: the token will not fix itself
        wake = null;
        retryMs = 1000;
        continue;
      }
      setConn("offline", "offline: " + e.message);
    }
    await new Promise(r => setTimeout(r, retryMs));
    retryMs = Math.min(retryMs * 2, 10000);
  }
}

window.addEventListener("resize", () => { for (const c of cards.values()) if (c.alert.strip) drawStrip(c.el.querySelector("canvas"), c.alert.strip); });
run();
