// Small SVG charts drawn by hand (no chart library: the dashboard must work without internet).
"use strict";
const Charts = (() => {
  const NS = "http://www.w3.org/2000/svg";
  function el(name, attrs, text) {
    const e = document.createElementNS(NS, name);
    for (const k in attrs) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  }

  // Cumulative rows over commit time for one region: a step line, one dot per commit (hover shows the edge and delta).
  function timeline(commits, width, height) {
    const svg = el("svg", { width, height, viewBox: `0 0 ${width} ${height}`, role: "img" });
    if (commits.length === 0) { svg.appendChild(el("text", { x: 8, y: height / 2 }, "no commits yet")); return svg; }
    const pad = { l: 48, r: 8, t: 8, b: 18 };
    const times = commits.map(c => Date.parse(c.committedAt));
    let total = 0; const cum = commits.map(c => (total += c.rows));
    const t0 = Math.min(...times), t1 = Math.max(...times, t0 + 1);
    const x = t => pad.l + (t - t0) / (t1 - t0) * (width - pad.l - pad.r);
    const y = v => height - pad.b - v / Math.max(total, 1) * (height - pad.t - pad.b);
    svg.appendChild(el("line", { x1: pad.l, y1: height - pad.b, x2: width - pad.r, y2: height - pad.b, stroke: "#3a434d" }));
    svg.appendChild(el("text", { x: 2, y: pad.t + 8 }, total.toLocaleString()));
    svg.appendChild(el("text", { x: 2, y: height - pad.b }, "0"));
    svg.appendChild(el("text", { x: pad.l, y: height - 4 }, `v${commits[0].version} ${new Date(t0).toLocaleTimeString()}`));
    svg.appendChild(el("text", { x: width - pad.r, y: height - 4, "text-anchor": "end" }, `v${commits[commits.length - 1].version} ${new Date(t1).toLocaleTimeString()}`));
    let d = `M${x(times[0])},${y(0)}`;
    for (let i = 0; i < commits.length; i++) d += ` V${y(cum[i])}` + (i + 1 < commits.length ? ` H${x(times[i + 1])}` : "");
    svg.appendChild(el("path", { d, fill: "none", stroke: "#58a6ff", "stroke-width": 1.5 }));
    commits.forEach((c, i) => {
      const dot = el("circle", { cx: x(times[i]), cy: y(cum[i]), r: 3, fill: c.labelledRows > 0 ? "#3fb950" : "#58a6ff" });
      dot.appendChild(el("title", {}, `v${c.version} · ${c.edgeId} · ${c.rows} rows (${c.labelledRows} labelled) · ${c.deltaId}`));
      svg.appendChild(dot);
    });
    return svg;
  }

  // Model lineage as a tree: parents left of children, one row per model, coloured by status.
  function lineage(models, width) {
    const byVersion = new Map(models.map(m => [m.version, m]));
    const depth = m => { let d = 0, p = m; while (p && p.parentVersion && byVersion.has(p.parentVersion) && d < 50) { p = byVersion.get(p.parentVersion); d++; } return d; };
    const rows = [...models].sort((a, b) => Date.parse(a.createdAt ?? 0) - Date.parse(b.createdAt ?? 0) || a.version.localeCompare(b.version));
    const rowH = 22, height = Math.max(rows.length * rowH + 8, 30);
    const svg = el("svg", { width, height, viewBox: `0 0 ${width} ${height}`, role: "img" });
    if (rows.length === 0) { svg.appendChild(el("text", { x: 8, y: 18 }, "no models yet")); return svg; }
    const pos = new Map();
    rows.forEach((m, i) => pos.set(m.version, { x: 12 + depth(m) * 28, y: 12 + i * rowH }));
    const colour = s => ({ approved: "#3fb950", rejected: "#f85149", candidate: "#d29922" }[s] ?? "#8a96a3");
    for (const m of rows) {
      const p = pos.get(m.version), q = m.parentVersion && pos.get(m.parentVersion);
      if (q) svg.appendChild(el("path", { d: `M${q.x},${q.y} V${p.y} H${p.x}`, fill: "none", stroke: "#3a434d" }));
    }
    for (const m of rows) {
      const p = pos.get(m.version);
      svg.appendChild(el("circle", { cx: p.x, cy: p.y, r: 5, fill: colour(m.status) }));
      const label = `${m.version}  ${m.trainingMode}  data v${m.datasetVersion}  ${m.status}` + (m.trainedRows ? `  ${m.trainedRows} rows` : "");
      const t = el("text", { x: p.x + 10, y: p.y + 4 }, label);
      t.setAttribute("style", "fill:#e6e6e6;font-size:12px");
      svg.appendChild(t);
    }
    return svg;
  }

  return { timeline, lineage };
})();
