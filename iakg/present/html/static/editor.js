// The query editor (YASGUI) over this site's SPARQL endpoint. A file, not an inline script (a page's
// Content-Security-Policy may run scripts from this site only); what the page gives it (the catalogue's
// queries, the prefixes, where the resources' pages are) is read from JSON blocks of the page.
//
// Safety (issue 31): the endpoint and the query are never taken from the page's URL (YASGUI's populateFromUrl is
// off: "/editor#endpoint=<elsewhere>" once sent the query there and drew the answer here; it also sent
// "?query=NAME" as the query text first, a 400); "?query=NAME" only opens the catalogue query NAME and runs it
// once. Results are drawn by the table below, which writes every term as text (never as markup: YASR's own
// table built HTML from the terms) and links only this site's pages and http(s) IRIs: a literal as its value
// with its datatype or language as a hint, an IRI as a CURIE linking to its page here (else to itself), so a
// wide answer stays readable; the table scrolls inside the results box, never widening the page.
(function () {
  "use strict";

  function data(id) { return JSON.parse(document.getElementById(id).textContent); }
  var examples = data("examples");
  var names = data("names");  // {prefixes: {prefix: namespace}, pages: [[namespace, local path], ...]}

  function curie(iri) {
    for (var prefix in names.prefixes) {
      var ns = names.prefixes[prefix];
      if (iri.length > ns.length && iri.lastIndexOf(ns, 0) === 0) { return prefix + ":" + iri.slice(ns.length); }
    }
    return iri;
  }

  function page(iri) {
    for (var i = 0; i < names.pages.length; i++) {
      var ns = names.pages[i][0];
      var rest = iri.slice(ns.length);
      if (iri.lastIndexOf(ns, 0) === 0 && rest && !/[?\s]/.test(rest)) { return names.pages[i][1] + rest; }
    }
    return /^https?:\/\/[^\s]+$/i.test(iri) ? iri : null;
  }

  function cell(t) {
    var td = document.createElement("td");
    if (!t) { return td; }
    if (t.type === "uri") {
      var href = page(t.value);
      var a = document.createElement(href ? "a" : "span");
      a.textContent = curie(t.value);
      a.title = t.value;
      if (href) { a.href = href; }
      td.appendChild(a);
    } else if (t.type === "bnode") {
      td.textContent = "_:" + t.value;
    } else {
      td.textContent = t.value;
      if (t.value.length > 40) { td.classList.add("long"); }  // a sentence wraps; a short value stays on one line
      var hint = t["xml:lang"] ? "@" + t["xml:lang"] : (t.datatype ? curie(t.datatype) : "");
      if (hint) { td.title = hint; td.classList.add("typed"); }
      if (/^xsd:(integer|decimal|double|float|int|long|nonNegativeInteger|positiveInteger)$/.test(hint)) {
        td.classList.add("number");
      }
    }
    return td;
  }

  function Table(yasr) {
    this.yasr = yasr;
    this.priority = 10;
    this.label = "Table";
  }
  Table.prototype.canHandleResults = function () {
    var results = this.yasr.results;
    return !!results && !results.getError() && !!results.getBindings() && results.getVariables().length > 0;
  };
  Table.prototype.getIcon = function () {
    var icon = document.createElement("span");
    icon.textContent = "\u25a6";
    return icon;
  };
  Table.prototype.draw = function () {
    var results = this.yasr.results;
    var variables = results.getVariables();
    var bindings = results.getBindings();
    var note = document.createElement("p");
    note.className = "results-count";
    note.textContent = bindings.length + " row" + (bindings.length === 1 ? "" : "s") +
      "; a value's datatype or language shows when pointed at.";
    var box = document.createElement("div");
    box.className = "results-box";
    var table = document.createElement("table");
    table.className = "iakg-results";
    var head = table.createTHead().insertRow();
    head.appendChild(document.createElement("th")).textContent = "#";
    variables.forEach(function (v) { head.appendChild(document.createElement("th")).textContent = v; });
    var body = table.createTBody();
    bindings.forEach(function (binding, i) {
      var row = body.insertRow();
      row.appendChild(document.createElement("td")).textContent = String(i + 1);
      variables.forEach(function (v) { row.appendChild(cell(binding[v])); });
    });
    box.appendChild(table);
    this.yasr.resultsEl.appendChild(note);
    this.yasr.resultsEl.appendChild(box);
  };

  Yasgui.Yasr.registerPlugin("table", Table);
  Yasgui.Yasqe.defaults.autocompleters = ["variables"];
  var endpoint = new URL(document.getElementById("endpoint").textContent, window.location.href).href;
  var yasgui = new Yasgui(document.getElementById("yasgui"), {
    requestConfig: { endpoint: endpoint, method: "POST" },
    populateFromUrl: false, copyEndpointOnNewTab: true, persistenceId: null,
    endpointCatalogueOptions: { getData: function () { return []; } },
    yasr: { pluginOrder: ["table", "response"], defaultPlugin: "table" }
  });
  function open(i) {
    var tab = yasgui.getTab();
    tab.setQuery(examples[i].text);
    tab.setName(examples[i].name);
  }
  document.getElementById("examples-form").addEventListener("submit", function (event) { event.preventDefault(); });
  document.getElementById("load-example").addEventListener("click", function () {
    open(Number(document.getElementById("example").value));
  });
  window.iakgEditor = { yasgui: yasgui, open: open, examples: examples };
  var wanted = new URLSearchParams(window.location.search).get("query");
  var index = examples.findIndex(function (q) { return q.name === wanted; });
  open(index < 0 ? 0 : index);
  document.getElementById("example").value = String(index < 0 ? 0 : index);
  if (index >= 0) { yasgui.getTab().query(); }  // /editor?query=NAME: the catalogue query's text, run once
})();
