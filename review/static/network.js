/* Vigie network view: a small force-directed layout drawn in SVG, with pan, zoom, drag,
 * click-to-open, and export as SVG or PNG. No library, no inline script (the CSP forbids it):
 * the graph comes from the JSON URL in #network[data-graph-url]. Every label is scraped text:
 * it is only ever set with textContent / fillText, never parsed as HTML. */
(function () {
  "use strict";

  var SVG_NS = "http://www.w3.org/2000/svg";
  var COLORS = {
    active: "#2e6da4", bankrupt: "#b42318", struck: "#98a2b3", person: "#f79009",
    resource: "#12b76a", record: "#7a5af8", edge: "#98a2b3", ink: "#1d2330"
  };
  var EDGE_COLORS = {
    director_of: "#f79009", seat_at: "#12b76a", uses_phone: "#12b76a", uses_email: "#12b76a",
    uses_website: "#12b76a", advertised_by: "#7a5af8", same_entity: "#7a5af8"
  };
  var KIND_WORDS = {
    employer: "enterprise", person: "person", phone: "phone", email: "e-mail",
    website: "website", address: "seat", record: "record"
  };

  function el(name, attrs) {
    var node = document.createElementNS(SVG_NS, name);
    Object.keys(attrs || {}).forEach(function (key) { node.setAttribute(key, String(attrs[key])); });
    return node;
  }

  function nodeColor(n) {
    var a = n.attrs || {};
    if (n.kind === "employer") {
      if (a.bankrupt) { return COLORS.bankrupt; }
      if (a.active) { return COLORS.active; }
      return COLORS.struck;
    }
    if (n.kind === "person") { return COLORS.person; }
    if (n.kind === "record") { return COLORS.record; }
    return COLORS.resource;
  }

  function radius(n) {
    if (n.kind === "employer") { return 16; }
    if (n.kind === "person") { return 12; }
    return 8;
  }

  function shortLabel(text) {
    text = String(text || "");
    return text.length > 34 ? text.slice(0, 33) + "…" : text;
  }

  function describe(n) {
    var a = n.attrs || {};
    var lines = [String(n.label), KIND_WORDS[n.kind] || n.kind];
    if (a.enterprise_number) { lines.push("enterprise " + a.enterprise_number); }
    if (n.kind === "employer") {
      var state = a.bankrupt ? "bankrupt" : a.struck_off ? "struck off" : a.active ? "active" :
        (a.situation || "unknown");
      if (a.juridical_situation_date) { state += " since " + a.juridical_situation_date; }
      lines.push(state);
      if (a.start_date) { lines.push("started " + a.start_date); }
    }
    if (a.signal_count) { lines.push(a.signal_count + " signal(s)"); }
    return lines.join("\n");
  }

  function targetUrl(n) {
    var a = n.attrs || {};
    var id;
    if (n.kind === "employer") { id = Number(a.employer_id); return id ? "/employers/" + id : null; }
    if (n.kind === "person") { id = Number(a.person_id); return id ? "/network?person=" + id : null; }
    if (n.kind === "record") { id = Number(a.capture_id); return id ? "/captures/" + id : null; }
    return null;
  }

  /* --- layout: springs on edges, repulsion between all nodes, a pull to the middle --- */
  function layout(nodes, edges, width, height) {
    var byId = {};
    var levels = {};
    nodes.forEach(function (n) { levels[n.level] = (levels[n.level] || 0) + 1; });
    var seen = {};
    nodes.forEach(function (n, i) {
      seen[n.level] = (seen[n.level] || 0) + 1;
      var ring = 60 + 140 * n.level + (n.kind === "employer" || n.kind === "person" ? 0 : 50);
      var angle = 2 * Math.PI * seen[n.level] / levels[n.level] + n.level;
      n.x = width / 2 + ring * Math.cos(angle) + (i % 7);
      n.y = height / 2 + ring * Math.sin(angle) + (i % 5);
      n.vx = 0; n.vy = 0;
      byId[n.id] = n;
    });
    var links = edges.map(function (e) { return [byId[e.source], byId[e.target]]; })
      .filter(function (p) { return p[0] && p[1]; });
    var k = Math.max(60, Math.sqrt(width * height / Math.max(1, nodes.length)) * 0.6);
    for (var step = 0; step < 320; step++) {
      var cool = 1 - step / 320;
      for (var i = 0; i < nodes.length; i++) {
        var a = nodes[i];
        for (var j = i + 1; j < nodes.length; j++) {
          var b = nodes[j];
          var dx = a.x - b.x, dy = a.y - b.y;
          var d2 = dx * dx + dy * dy + 0.01;
          var force = k * k / d2;
          a.vx += dx * force * 0.03; a.vy += dy * force * 0.03;
          b.vx -= dx * force * 0.03; b.vy -= dy * force * 0.03;
        }
      }
      links.forEach(function (p) {
        var dx = p[1].x - p[0].x, dy = p[1].y - p[0].y;
        var d = Math.sqrt(dx * dx + dy * dy) + 0.01;
        var pull = (d - k) / d * 0.08;
        p[0].vx += dx * pull; p[0].vy += dy * pull;
        p[1].vx -= dx * pull; p[1].vy -= dy * pull;
      });
      nodes.forEach(function (n) {
        n.vx += (width / 2 - n.x) * 0.005; n.vy += (height / 2 - n.y) * 0.005;
        var speed = Math.sqrt(n.vx * n.vx + n.vy * n.vy);
        var limit = 25 * cool + 1;
        if (speed > limit) { n.vx *= limit / speed; n.vy *= limit / speed; }
        n.x += n.vx; n.y += n.vy;
        n.vx *= 0.5; n.vy *= 0.5;
      });
    }
    return byId;
  }

  /* --- drawing --- */
  function draw(container, graph) {
    var width = Math.max(container.clientWidth, 300);
    var height = Math.max(container.clientHeight, 300);
    var nodes = graph.nodes.map(function (n) {
      return { id: n.id, kind: n.kind, label: n.label, level: n.level, attrs: n.attrs || {} };
    });
    var byId = layout(nodes, graph.edges, width, height);
    var svg = el("svg", { width: width, height: height, role: "img",
      "aria-label": "Network graph", viewBox: "0 0 " + width + " " + height });
    svg.appendChild(el("rect", { x: -50000, y: -50000, width: 100000, height: 100000,
      fill: "#ffffff", "class": "background" }));
    var view = el("g", { "class": "viewport" });
    svg.appendChild(view);
    var edgeLayer = el("g", { "class": "edges" });
    var nodeLayer = el("g", { "class": "nodes" });
    view.appendChild(edgeLayer);
    view.appendChild(nodeLayer);

    var lines = [];
    graph.edges.forEach(function (e) {
      var s = byId[e.source], t = byId[e.target];
      if (!s || !t) { return; }
      var line = el("line", { stroke: EDGE_COLORS[e.kind] || COLORS.edge, "stroke-width": 1.6,
        "stroke-opacity": 0.75, "class": "edge", "data-kind": e.kind });
      if (e.kind === "director_of" && e.end) {  // a function that ended: dashed
        line.setAttribute("stroke-dasharray", "5 4");
      }
      var title = el("title");
      var origin = e.origin || {};
      var text = e.kind.replace(/_/g, " ");
      if (origin["function"]) { text += " (" + origin["function"] + ")"; }
      if (e.start || e.end) { text += " " + (e.start || "?") + " → " + (e.end || "now"); }
      if (origin.type) { text += "\nsource: " + origin.type; }
      if (origin.record_id) { text += " record #" + origin.record_id; }
      if (origin.capture_id) { text += " capture #" + origin.capture_id; }
      title.textContent = text;
      line.appendChild(title);
      edgeLayer.appendChild(line);
      lines.push({ line: line, s: s, t: t });
    });

    var groups = {};
    nodes.forEach(function (n) {
      var g = el("g", { "class": "node", "data-id": n.id, "data-kind": n.kind,
        "data-bankrupt": n.attrs.bankrupt ? "true" : "false", tabindex: 0 });
      var r = radius(n);
      var shape;
      if (n.kind === "employer" || n.kind === "person") {
        shape = el("circle", { r: r });
      } else {
        shape = el("rect", { x: -r, y: -r, width: 2 * r, height: 2 * r, rx: 2 });
      }
      shape.setAttribute("fill", nodeColor(n));
      shape.setAttribute("stroke", n.id === graph.center ? COLORS.ink : "#ffffff");
      shape.setAttribute("stroke-width", n.id === graph.center ? 4 : 1.5);
      g.appendChild(shape);
      if (n.attrs.bankrupt) {  // a cross on bankrupt enterprises, readable without colour
        g.appendChild(el("path", { d: "M-7,-7L7,7M7,-7L-7,7", stroke: "#ffffff",
          "stroke-width": 2.5, "class": "bankrupt-mark", "pointer-events": "none" }));
      }
      var label = el("text", { y: r + 13, "text-anchor": "middle", "font-size": 11,
        "font-family": "system-ui, sans-serif", fill: COLORS.ink, "class": "label" });
      label.textContent = shortLabel(n.label);
      g.appendChild(label);
      if (n.attrs.signal_count) {
        var badge = el("g", { "class": "signal-count",
          transform: "translate(" + (r * 0.8) + "," + (-r * 0.8) + ")" });
        badge.appendChild(el("circle", { r: 8, fill: COLORS.ink }));
        var count = el("text", { y: 4, "text-anchor": "middle", "font-size": 10,
          "font-family": "system-ui, sans-serif", fill: "#ffffff" });
        count.textContent = String(Number(n.attrs.signal_count));
        badge.appendChild(count);
        g.appendChild(badge);
      }
      var tip = el("title");
      tip.textContent = describe(n);
      g.appendChild(tip);
      nodeLayer.appendChild(g);
      groups[n.id] = g;
    });

    function place() {
      nodes.forEach(function (n) {
        groups[n.id].setAttribute("transform", "translate(" + n.x.toFixed(1) + "," +
          n.y.toFixed(1) + ")");
      });
      lines.forEach(function (l) {
        l.line.setAttribute("x1", l.s.x.toFixed(1)); l.line.setAttribute("y1", l.s.y.toFixed(1));
        l.line.setAttribute("x2", l.t.x.toFixed(1)); l.line.setAttribute("y2", l.t.y.toFixed(1));
      });
    }
    place();
    container.textContent = "";
    container.appendChild(svg);
    interact(svg, view, nodes, groups, place, width, height);
    return { svg: svg, nodes: nodes, edges: lines, width: width, height: height, center: graph.center };
  }

  /* --- pan, zoom, drag, click --- */
  function fit(nodes, width, height) {
    // The whole graph in view at first (labels below nodes need a margin).
    var pad = 50;
    var xs = nodes.map(function (n) { return n.x; });
    var ys = nodes.map(function (n) { return n.y; });
    var minX = Math.min.apply(null, xs), maxX = Math.max.apply(null, xs);
    var minY = Math.min.apply(null, ys), maxY = Math.max.apply(null, ys);
    var k = Math.min(1.5, (width - 2 * pad) / Math.max(1, maxX - minX),
      (height - 2 * pad) / Math.max(1, maxY - minY));
    k = Math.max(0.2, k);
    return { k: k, x: (width - (maxX - minX) * k) / 2 - minX * k,
      y: (height - (maxY - minY) * k) / 2 - minY * k };
  }

  function interact(svg, view, nodes, groups, place, width, height) {
    var t = fit(nodes, width, height);
    var drag = null;
    var byGroup = new Map();
    nodes.forEach(function (n) { byGroup.set(groups[n.id], n); });

    function apply() {
      view.setAttribute("transform", "translate(" + t.x + "," + t.y + ") scale(" + t.k + ")");
      svg.dataset.zoom = String(t.k);
    }
    function point(evt) {
      var box = svg.getBoundingClientRect();
      return { x: evt.clientX - box.left, y: evt.clientY - box.top };
    }
    apply();
    svg.addEventListener("pointerdown", function (evt) {
      var g = evt.target.closest ? evt.target.closest("g.node") : null;
      var p = point(evt);
      drag = { node: g ? byGroup.get(g) : null, start: p, moved: false, tx: t.x, ty: t.y };
      if (!drag.node) { svg.classList.add("panning"); }
      svg.setPointerCapture(evt.pointerId);
    });
    svg.addEventListener("pointermove", function (evt) {
      if (!drag) { return; }
      var p = point(evt);
      var dx = p.x - drag.start.x, dy = p.y - drag.start.y;
      if (Math.abs(dx) + Math.abs(dy) > 3) { drag.moved = true; }
      if (drag.node) {
        drag.node.x = (p.x - t.x) / t.k; drag.node.y = (p.y - t.y) / t.k;
        place();
      } else {
        t.x = drag.tx + dx; t.y = drag.ty + dy; apply();
      }
    });
    svg.addEventListener("pointerup", function () {
      var done = drag;
      drag = null;
      svg.classList.remove("panning");
      if (done && done.node && !done.moved) {
        var url = targetUrl(done.node);
        if (url) { window.location.assign(url); }
      }
    });
    svg.addEventListener("keydown", function (evt) {
      var g = evt.target.closest ? evt.target.closest("g.node") : null;
      if (g && evt.key === "Enter") {
        var url = targetUrl(byGroup.get(g));
        if (url) { window.location.assign(url); }
      }
    });
    svg.addEventListener("wheel", function (evt) {
      evt.preventDefault();
      var p = point(evt);
      var k = Math.min(6, Math.max(0.2, t.k * (evt.deltaY < 0 ? 1.15 : 1 / 1.15)));
      t.x = p.x - (p.x - t.x) * k / t.k; t.y = p.y - (p.y - t.y) * k / t.k; t.k = k;
      apply();
    }, { passive: false });
  }

  /* --- export --- */
  function download(blob, name) {
    var url = URL.createObjectURL(blob);
    var a = document.createElement("a");
    a.href = url;
    a.download = name;
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(function () { URL.revokeObjectURL(url); }, 5000);
  }

  function fileName(drawn, ext) {
    return "vigie-network-" + drawn.center.replace(/[^a-z0-9]+/gi, "-") + "." + ext;
  }

  function exportSvg(drawn) {
    var copy = drawn.svg.cloneNode(true);  // the serializer writes the SVG namespace
    var text = new XMLSerializer().serializeToString(copy);
    download(new Blob([text], { type: "image/svg+xml" }), fileName(drawn, "svg"));
  }

  function exportPng(drawn) {
    // Redrawn with the canvas API (the CSP keeps blob: images out, and it needs no fonts).
    var xs = drawn.nodes.map(function (n) { return n.x; });
    var ys = drawn.nodes.map(function (n) { return n.y; });
    var pad = 60;
    var minX = Math.min.apply(null, xs) - pad, minY = Math.min.apply(null, ys) - pad;
    var w = Math.max.apply(null, xs) - minX + pad, h = Math.max.apply(null, ys) - minY + pad;
    var scale = 2;
    var canvas = document.createElement("canvas");
    canvas.width = Math.ceil(w * scale); canvas.height = Math.ceil(h * scale);
    var ctx = canvas.getContext("2d");
    ctx.scale(scale, scale);
    ctx.translate(-minX, -minY);
    ctx.fillStyle = "#ffffff";
    ctx.fillRect(minX, minY, w, h);
    drawn.edges.forEach(function (l) {
      ctx.strokeStyle = l.line.getAttribute("stroke");
      ctx.lineWidth = 1.6;
      ctx.setLineDash(l.line.getAttribute("stroke-dasharray") ? [5, 4] : []);
      ctx.beginPath(); ctx.moveTo(l.s.x, l.s.y); ctx.lineTo(l.t.x, l.t.y); ctx.stroke();
    });
    ctx.setLineDash([]);
    drawn.nodes.forEach(function (n) {
      var r = radius(n);
      ctx.fillStyle = nodeColor(n);
      ctx.strokeStyle = n.id === drawn.center ? COLORS.ink : "#ffffff";
      ctx.lineWidth = n.id === drawn.center ? 4 : 1.5;
      ctx.beginPath();
      if (n.kind === "employer" || n.kind === "person") {
        ctx.arc(n.x, n.y, r, 0, 2 * Math.PI);
      } else {
        ctx.rect(n.x - r, n.y - r, 2 * r, 2 * r);
      }
      ctx.fill(); ctx.stroke();
      if (n.attrs.bankrupt) {
        ctx.strokeStyle = "#ffffff"; ctx.lineWidth = 2.5; ctx.beginPath();
        ctx.moveTo(n.x - 7, n.y - 7); ctx.lineTo(n.x + 7, n.y + 7);
        ctx.moveTo(n.x + 7, n.y - 7); ctx.lineTo(n.x - 7, n.y + 7); ctx.stroke();
      }
      ctx.fillStyle = COLORS.ink;
      ctx.font = "11px system-ui, sans-serif";
      ctx.textAlign = "center";
      ctx.fillText(shortLabel(n.label), n.x, n.y + r + 13);
      if (n.attrs.signal_count) {
        ctx.beginPath(); ctx.arc(n.x + r * 0.8, n.y - r * 0.8, 8, 0, 2 * Math.PI); ctx.fill();
        ctx.fillStyle = "#ffffff"; ctx.font = "10px system-ui, sans-serif";
        ctx.fillText(String(Number(n.attrs.signal_count)), n.x + r * 0.8, n.y - r * 0.8 + 4);
      }
    });
    canvas.toBlob(function (blob) { download(blob, fileName(drawn, "png")); }, "image/png");
  }

  function status(text) {
    var box = document.getElementById("network-status");
    if (box) { box.textContent = text; }
  }

  function start() {
    var container = document.getElementById("network");
    if (!container) { return; }
    var url = container.getAttribute("data-graph-url");
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error("the server answered " + response.status); }
        return response.json();
      })
      .then(function (graph) {
        var drawn = draw(container, graph);
        container.setAttribute("data-drawn", String(graph.nodes.length));
        status(graph.nodes.length + " nodes, " + graph.edges.length + " links drawn" +
          (graph.truncated ? " (truncated)" : "") + ".");
        document.getElementById("export-svg").addEventListener("click", function () {
          exportSvg(drawn);
        });
        document.getElementById("export-png").addEventListener("click", function () {
          exportPng(drawn);
        });
      })
      .catch(function (err) {
        container.textContent = "The network could not be drawn: " + err.message;
        container.setAttribute("data-drawn", "error");
      });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
}());
