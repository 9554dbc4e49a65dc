// The offline query page: posts the query to /sparql and draws the result. No external code.
"use strict";

const PREFIXES = `PREFIX zhkg: <https://w3id.org/zhkg/ontology#>
PREFIX schema: <https://schema.org/>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
`;
const SHORT = [
  ["zhkg:", "https://w3id.org/zhkg/ontology#"], ["id:", "https://w3id.org/zhkg/id/"],
  ["article:", "https://w3id.org/zhkg/article/"], ["graph:", "https://w3id.org/zhkg/graph/"],
  ["schema:", "https://schema.org/"], ["skos:", "http://www.w3.org/2004/02/skos/core#"],
  ["rdfs:", "http://www.w3.org/2000/01/rdf-schema#"],
  ["rdf:", "http://www.w3.org/1999/02/22-rdf-syntax-ns#"],
  ["xsd:", "http://www.w3.org/2001/XMLSchema#"], ["org:", "http://www.w3.org/ns/org#"],
];
const EXAMPLES = {
  "Most mentioned entities 提及最多的实体": PREFIXES + `
SELECT ?entity ?label (COUNT(DISTINCT ?article) AS ?articles) WHERE {
  ?article zhkg:mentions ?entity .
  OPTIONAL { ?entity rdfs:label ?label }
}
GROUP BY ?entity ?label
ORDER BY DESC(?articles)
LIMIT 50`,
  "Officials and posts 官员与职务": PREFIXES + `
SELECT ?official ?name ?post ?title WHERE {
  ?official zhkg:holdsPost ?post .
  OPTIONAL { ?official rdfs:label ?name }
  OPTIONAL { ?post skos:altLabel ?title }
}
LIMIT 100`,
  "Articles 文章": PREFIXES + `
SELECT ?article ?headline ?date WHERE {
  ?article a zhkg:Article ; schema:headline ?headline .
  OPTIONAL { ?article schema:datePublished ?date }
}
ORDER BY DESC(?date)
LIMIT 100`,
  "Named graphs and sizes 命名图": `SELECT ?graph (COUNT(*) AS ?triples) WHERE {
  GRAPH ?graph { ?s ?p ?o }
}
GROUP BY ?graph
ORDER BY DESC(?triples)
LIMIT 100`,
};

const $ = (id) => document.getElementById(id);

function shorten(iri) {
  for (const [prefix, ns] of SHORT) {
    if (iri.startsWith(ns) && iri.length > ns.length) return prefix + iri.slice(ns.length);
  }
  return iri;
}

function termNode(term) {
  const span = document.createElement("span");
  if (!term) return span;
  if (term.type === "uri") {
    const a = document.createElement("a");
    a.className = "iri";
    a.textContent = shorten(term.value);
    a.title = term.value + " (click: what is said about it)";
    a.addEventListener("click", () => describe(term.value));
    return a;
  }
  if (term.type === "bnode") {
    span.className = "bnode";
    span.textContent = "_:" + term.value;
    return span;
  }
  if (term.type === "triple") {
    span.textContent = "<< " + ["subject", "predicate", "object"]
      .map((k) => (term.value[k].type === "uri" ? shorten(term.value[k].value) : term.value[k].value))
      .join(" ") + " >>";
    return span;
  }
  span.textContent = term.value;
  const tag = document.createElement("span");
  if (term["xml:lang"]) {
    tag.className = "lang";
    tag.textContent = "@" + term["xml:lang"];
    span.appendChild(tag);
  } else if (term.datatype) {
    tag.className = "dt";
    tag.textContent = shorten(term.datatype);
    span.appendChild(tag);
  }
  return span;
}

function drawTable(data) {
  const results = $("results");
  if ("boolean" in data) {
    results.textContent = data.boolean ? "true" : "false";
    return 1;
  }
  const vars = data.head.vars || [];
  const table = document.createElement("table");
  const head = table.createTHead().insertRow();
  for (const v of vars) {
    const th = document.createElement("th");
    th.textContent = "?" + v;
    head.appendChild(th);
  }
  const body = table.createTBody();
  for (const binding of data.results.bindings) {
    const row = body.insertRow();
    for (const v of vars) row.insertCell().appendChild(termNode(binding[v]));
  }
  results.replaceChildren(table);
  return data.results.bindings.length;
}

function drawRaw(text) {
  const pre = document.createElement("pre");
  pre.className = "raw";
  pre.textContent = text;
  $("results").replaceChildren(pre);
}

async function run(query) {
  const format = $("format").value;
  const accept = format === "table"
    ? "application/sparql-results+json, text/turtle;q=0.9"
    : format + (format === "text/turtle" ? "" : ", text/turtle;q=0.9");
  $("error").hidden = true;
  $("status").textContent = "running…";
  $("run").disabled = true;
  const started = performance.now();
  try {
    const response = await fetch("/sparql", {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded", "Accept": accept },
      body: new URLSearchParams({ query }),
    });
    const text = await response.text();
    const ms = Math.round(performance.now() - started);
    if (!response.ok) {
      $("results").replaceChildren();
      $("error").textContent = `${response.status} ${response.statusText}: ${text}`;
      $("error").hidden = false;
      $("status").textContent = `failed after ${ms} ms`;
      return;
    }
    const type = response.headers.get("Content-Type") || "";
    if (format === "table" && type.includes("json")) {
      const n = drawTable(JSON.parse(text));
      $("status").textContent = `${n} result${n === 1 ? "" : "s"} in ${ms} ms`;
    } else {
      drawRaw(text);
      $("status").textContent = `${text.length} characters (${type}) in ${ms} ms`;
    }
  } catch (err) {
    $("error").textContent = "cannot reach the endpoint: " + err;
    $("error").hidden = false;
    $("status").textContent = "";
  } finally {
    $("run").disabled = false;
  }
}

function describe(iri) {
  $("query").value = `SELECT ?graph ?property ?value WHERE {
  GRAPH ?graph { <${iri}> ?property ?value }
}
ORDER BY ?graph ?property
LIMIT 500`;
  $("format").value = "table";
  run($("query").value);
}

function init() {
  const examples = $("examples");
  for (const name of Object.keys(EXAMPLES)) examples.add(new Option(name, name));
  examples.addEventListener("change", () => { $("query").value = EXAMPLES[examples.value]; });
  $("query").value = EXAMPLES[examples.value];
  $("endpoint").textContent = new URL("/sparql", location.href).href;
  $("query-form").addEventListener("submit", (event) => {
    event.preventDefault();
    run($("query").value);
  });
  $("query").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      run($("query").value);
    }
  });
}

document.addEventListener("DOMContentLoaded", init);
