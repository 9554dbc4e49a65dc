/* zhkg page script. Reads the graph from the JSON block, never from markup, and writes text into
 * the DOM only through textContent, so nothing from an article can become code. */
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("zhkg-data").textContent);
  var ARTICLE = "Article";
  var details = data.details;
  var edgeDetails = data.edgeDetails;
  var styleOf = {};
  data.legend.forEach(function (l) { styleOf[l.type] = l; });

  var typeOn = {};
  data.legend.forEach(function (l) { typeOn[l.type] = l.type !== ARTICLE || data.showArticles; });
  var state = { article: -1, highlighted: null };
  var visible = new Array(data.nodes.length);

  // adjacency over every edge, for the details panel and search ranking
  var adjacent = data.nodes.map(function () { return []; });
  data.edges.forEach(function (e) { adjacent[e.from].push(e.id); adjacent[e.to].push(e.id); });

  var nodes = new vis.DataSet(data.nodes);
  var edges = new vis.DataSet(data.edges);

  function isVisible(id) {
    var d = details[id];
    if (!typeOn[d.type]) return false;
    if (state.article >= 0) {
      if (d.type === ARTICLE) return data.articles[state.article].node === id;
      return d.articles.indexOf(state.article) >= 0;
    }
    return true;
  }
  function computeVisible() {
    for (var i = 0; i < visible.length; i++) visible[i] = isVisible(i);
  }
  computeVisible();
  // DataViews, not `hidden`: hidden nodes would still take part in the physics simulation.
  var nodeView = new vis.DataView(nodes, { filter: function (n) { return visible[n.id]; } });
  var edgeView = new vis.DataView(edges, {
    filter: function (e) {
      if (!visible[e.from] || !visible[e.to]) return false;
      if (state.article >= 0) {
        var arts = edgeDetails[e.id].articles;
        if (arts.length && arts.indexOf(state.article) < 0) return false;
      }
      return true;
    }
  });

  var container = document.getElementById("network");
  var network = new vis.Network(container, { nodes: nodeView, edges: edgeView }, data.options);

  function markReady() {
    document.getElementById("loading").classList.add("done");
    document.body.setAttribute("data-ready", "1");
  }
  if (data.physics && data.nodes.length) {
    // Stabilise once, then stop: a graph that keeps moving cannot be read or clicked.
    network.once("stabilizationIterationsDone", function () {
      network.setOptions({ physics: { enabled: false } });
      markReady();
    });
  } else {
    network.once("afterDrawing", markReady);
    if (!data.nodes.length) markReady();
  }

  // -- counts, legend, article list ------------------------------------------------------------
  function updateCounts() {
    var shown = 0;
    for (var i = 0; i < visible.length; i++) if (visible[i]) shown++;
    document.getElementById("counts").textContent =
      "显示 " + shown + " / " + data.nodes.length + " 个节点 · " + edgeView.length + " 条边";
  }

  var legendItems = document.getElementById("legend-items");
  data.legend.forEach(function (l) {
    var li = document.createElement("li");
    li.setAttribute("data-type", l.type);
    li.title = l.type;
    var sw = document.createElement("span");
    sw.className = "swatch " + l.shape;
    sw.style.background = l.color;
    var name = document.createElement("span");
    name.textContent = l.name;
    var count = document.createElement("span");
    count.className = "count";
    count.textContent = String(l.count);
    li.appendChild(sw); li.appendChild(name); li.appendChild(count);
    if (!typeOn[l.type]) li.classList.add("off");
    li.addEventListener("click", function () { setType(l.type, !typeOn[l.type]); });
    legendItems.appendChild(li);
  });

  var articleSelect = document.getElementById("article-filter");
  data.articles.forEach(function (a, i) {
    var opt = document.createElement("option");
    opt.value = String(i);
    opt.textContent = (a.title || a.id) + (a.published ? "（" + a.published.slice(0, 10) + "）" : "");
    articleSelect.appendChild(opt);
  });
  articleSelect.addEventListener("change", function () {
    setArticle(articleSelect.value === "" ? -1 : Number(articleSelect.value));
  });
  var articleBox = document.getElementById("show-articles");
  articleBox.checked = !!typeOn[ARTICLE];
  articleBox.disabled = !data.articles.length;
  articleBox.addEventListener("change", function () { setType(ARTICLE, articleBox.checked); });

  function refresh() {
    var before = network.getPositions();
    computeVisible();
    nodeView.refresh();
    edgeView.refresh();
    var fresh = false;
    nodeView.getIds().forEach(function (id) {
      var p = before[id];
      if (p) network.moveNode(id, p.x, p.y);
      else if (data.nodes[id].x === undefined) fresh = true;
    });
    if (fresh && data.physics) {
      // Nodes shown for the first time have no place yet: settle briefly, then stop again.
      network.setOptions({ physics: { enabled: true } });
      network.once("stabilized", function () { network.setOptions({ physics: { enabled: false } }); });
      network.stabilize(150);
    }
    updateCounts();
  }

  function setType(type, on) {
    typeOn[type] = on;
    var li = legendItems.querySelector('li[data-type="' + type + '"]');
    if (li) li.classList.toggle("off", !on);
    if (type === ARTICLE) articleBox.checked = on;
    refresh();
  }

  function setArticle(i) {
    state.article = i;
    articleSelect.value = i < 0 ? "" : String(i);
    refresh();
    if (nodeView.length) network.fit({ animation: { duration: 400 } });
  }

  // -- neighbourhood highlight -----------------------------------------------------------------
  var DIM = "#e3e6e8";
  function highlight(id) {
    var keep = {};
    if (id !== null) {
      keep[id] = true;
      network.getConnectedNodes(id).forEach(function (n) { keep[n] = true; });
    }
    var changes = [];
    for (var i = 0; i < data.nodes.length; i++) {
      var dim = id !== null && !keep[i];
      changes.push({
        id: i,
        color: dim ? DIM : data.nodes[i].color,
        // Dimmed labels are hidden, not greyed: in a big graph grey text is just noise.
        font: dim ? { color: "rgba(0,0,0,0)", strokeWidth: 0 } : { color: "#263238", strokeWidth: 3 }
      });
    }
    nodes.update(changes);
    state.highlighted = id;
  }

  // -- details panel ---------------------------------------------------------------------------
  var panel = document.getElementById("details");
  var body = document.getElementById("details-body");
  document.getElementById("details-close").addEventListener("click", function () {
    panel.hidden = true;
  });

  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  }
  function link(text, onclick) {
    var a = el("a", text);
    a.tabIndex = 0;
    a.addEventListener("click", onclick);
    a.addEventListener("keydown", function (ev) { if (ev.key === "Enter") onclick(ev); });
    return a;
  }
  function typeBadge(type) {
    var s = styleOf[type];
    var b = el("span", (s ? s.name : type) + " · " + type, "type");
    b.style.background = s ? s.color : "#607d8b";
    return b;
  }
  function addRow(dl, name, value) {
    if (value === undefined || value === null || value === "" ||
        (Array.isArray(value) && !value.length)) return;
    dl.appendChild(el("dt", name));
    var dd = el("dd");
    if (value instanceof Node) dd.appendChild(value);
    else dd.textContent = Array.isArray(value) ? value.join("、") : String(value);
    dl.appendChild(dd);
  }
  function articleName(i) {
    var a = data.articles[i];
    return a ? "《" + (a.title || a.id) + "》" : "";
  }
  function sentenceList(sentences, total) {
    var frag = document.createDocumentFragment();
    if (!sentences.length) return frag;
    frag.appendChild(el("h3", "出处（" + total + " 句）"));
    sentences.forEach(function (s) {
      var q = el("blockquote", s.text);
      var src = el("span", "", "source");
      var idx = -1;
      for (var i = 0; i < data.articles.length; i++) if (data.articles[i].id === s.article) idx = i;
      src.appendChild(document.createTextNode("—— "));
      if (idx >= 0) src.appendChild(link("《" + (s.title || s.article) + "》", function () { setArticle(idx); }));
      else src.appendChild(document.createTextNode("《" + (s.title || s.article) + "》"));
      src.appendChild(document.createTextNode(" " + s.article));
      q.appendChild(src);
      frag.appendChild(q);
    });
    if (total > sentences.length) frag.appendChild(el("div", "……另有 " + (total - sentences.length) + " 句", "source"));
    return frag;
  }

  function showNode(id) {
    var d = details[id];
    body.textContent = "";
    body.appendChild(el("h2", d.label));
    body.appendChild(typeBadge(d.type));
    var dl = el("dl");
    if (d.type !== ARTICLE) addRow(dl, "别名", d.aliases);
    else addRow(dl, "编号", d.aliases);
    addRow(dl, "发布时间", d.published);
    addRow(dl, "行政区划代码", d.adcode);
    if (d.lat !== null && d.lon !== null && d.lat !== undefined)
      addRow(dl, "坐标", d.lat.toFixed(4) + "°N, " + d.lon.toFixed(4) + "°E");
    addRow(dl, "职务", d.posts);
    addRow(dl, "连接", d.degree);
    if (d.type !== ARTICLE && d.articles.length) {
      var span = el("span");
      d.articles.slice(0, 12).forEach(function (a, k) {
        if (k) span.appendChild(document.createTextNode(" "));
        span.appendChild(link(articleName(a), function () { setArticle(a); }));
      });
      if (d.articles.length > 12) span.appendChild(document.createTextNode(" 等 " + d.articles.length + " 篇"));
      addRow(dl, "文章", span);
    }
    body.appendChild(dl);
    if (d.type === ARTICLE) {
      var ai = d.articles.length ? d.articles[0] : -1;
      if (ai >= 0) body.appendChild(link("只看这篇文章", function () { setArticle(ai); }));
    }
    // Relations first, then the articles that mention it.
    var rel = adjacent[id].slice().sort(function (a, b) {
      var ra = data.relations.indexOf(data.edges[a].pred) >= 0 ? 0 : 1;
      var rb = data.relations.indexOf(data.edges[b].pred) >= 0 ? 0 : 1;
      return ra - rb || a - b;
    });
    if (rel.length) {
      body.appendChild(el("h3", "关系（" + rel.length + "）"));
      var ul = el("ul");
      rel.slice(0, 60).forEach(function (eid) {
        var e = data.edges[eid];
        var other = e.from === id ? e.to : e.from;
        var li = el("li");
        var word = data.predicates[e.pred] || e.pred;
        li.appendChild(document.createTextNode(e.from === id ? word + " → " : "← " + word + " "));
        li.appendChild(link(details[other].label, function () { focusNode(other); }));
        ul.appendChild(li);
      });
      if (rel.length > 60) ul.appendChild(el("li", "……"));
      body.appendChild(ul);
    }
    body.appendChild(sentenceList(d.sentences, d.sentenceCount));
    body.appendChild(el("div", d.iri, "iri"));
    panel.hidden = false;
  }

  function showEdge(eid) {
    var e = data.edges[eid];
    var ed = edgeDetails[eid];
    body.textContent = "";
    body.appendChild(el("h2", (data.predicates[ed.pred] || ed.pred) + "（" + ed.pred + "）"));
    var dl = el("dl");
    addRow(dl, "从", link(details[e.from].label, function () { focusNode(e.from); }));
    addRow(dl, "到", link(details[e.to].label, function () { focusNode(e.to); }));
    body.appendChild(dl);
    body.appendChild(sentenceList(ed.sentences, ed.sentences.length));
    panel.hidden = false;
  }

  network.on("click", function (params) {
    if (params.nodes.length) {
      highlight(params.nodes[0]);
      showNode(params.nodes[0]);
    } else if (params.edges.length) {
      showEdge(params.edges[0]);
    } else {
      highlight(null);
    }
  });

  // -- search ----------------------------------------------------------------------------------
  var names = details.map(function (d) {
    return [d.label].concat(d.aliases || []).map(function (s) { return String(s).toLowerCase(); });
  });
  (function fillNames() {
    var list = document.getElementById("names");
    var seen = {};
    var frag = document.createDocumentFragment();
    details.forEach(function (d) {
      if (d.type === ARTICLE || seen[d.label]) return;
      seen[d.label] = true;
      var opt = document.createElement("option");
      opt.value = d.label;
      frag.appendChild(opt);
    });
    list.appendChild(frag);
  })();

  function find(query) {
    var q = String(query).trim().toLowerCase();
    if (!q) return null;
    var best = null, bestRank = -1;
    for (var i = 0; i < names.length; i++) {
      var rank = 0;
      for (var k = 0; k < names[i].length; k++) {
        var n = names[i][k];
        var r = n === q ? 3 : n.indexOf(q) === 0 ? 2 : n.indexOf(q) >= 0 ? 1 : 0;
        if (r > rank) rank = r;
      }
      if (rank > bestRank || (rank === bestRank && rank > 0 && details[i].degree > details[best].degree)) {
        if (rank > 0) { best = i; bestRank = rank; }
      }
    }
    return best;
  }

  function focusNode(id) {
    if (!visible[id]) {
      // Bring it back rather than fail: the user asked for it by name.
      var d = details[id];
      if (!typeOn[d.type]) setType(d.type, true);
      if (!isVisible(id)) setArticle(-1);
    }
    network.selectNodes([id]);
    highlight(id);
    showNode(id);
    // Animating thousands of nodes crawls at a few frames a second: jump instead.
    var animation = data.nodes.length > 1000 ? false : { duration: 500 };
    // Centre it in the part of the canvas the details panel leaves free.
    var offset = { x: panel.hidden ? 0 : -(panel.offsetWidth + 20) / 2, y: 0 };
    network.focus(id, { scale: Math.max(network.getScale(), 1.1), animation: animation,
                        offset: offset });
  }

  var status = document.getElementById("search-status");
  function search(query) {
    var id = find(query);
    if (id === null) {
      status.textContent = "未找到：" + query;
      return null;
    }
    status.textContent = "";
    focusNode(id);
    return id;
  }
  document.getElementById("search-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    search(document.getElementById("search").value);
  });

  document.getElementById("reset").addEventListener("click", function () {
    data.legend.forEach(function (l) { typeOn[l.type] = l.type !== ARTICLE || articleBox.checked; });
    legendItems.querySelectorAll("li").forEach(function (li) {
      li.classList.toggle("off", !typeOn[li.getAttribute("data-type")]);
    });
    state.article = -1;
    articleSelect.value = "";
    highlight(null);
    network.unselectAll();
    panel.hidden = true;
    status.textContent = "";
    refresh();
    network.fit({ animation: { duration: 400 } });
  });

  updateCounts();

  // For tests and the console: the page's state, read-only in spirit.
  window.zhkgPage = {
    network: network,
    nodes: nodes,
    edges: edges,
    nodeView: nodeView,
    edgeView: edgeView,
    data: data,
    search: search,
    find: find,
    setType: setType,
    setArticle: setArticle,
    drawnNodeCount: function () { return network.body.nodeIndices.length; },
    drawnEdgeCount: function () { return network.body.edgeIndices.length; }
  };
})();
