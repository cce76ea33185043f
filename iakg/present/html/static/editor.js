// The query editor (YASGUI) over this site's SPARQL endpoint.
//
// Safety (issue 31): the endpoint and the query are never taken from the page's URL (YASGUI's populateFromUrl is
// off: "/editor#endpoint=<elsewhere>" once sent the query there and drew the answer here); "?query=NAME" only
// opens a query of the catalogue by name. Results are drawn by the table below, which writes every term as
// text and links only http(s) IRIs; YASR's own table built HTML from the terms (an IRI holding a quote became
// markup). The page's Content-Security-Policy runs no inline script and connects to this site only.
(function () {
  "use strict";

  function text(value) { return document.createTextNode(value == null ? "" : String(value)); }

  function term(t) {
    var span = document.createElement("span");
    if (!t) { return span; }
    if (t.type === "uri") {
      var a = document.createElement("a");
      a.textContent = t.value;
      if (/^https?:\/\/[^\s]+$/i.test(t.value)) {
        a.href = t.value;
        a.rel = "noopener noreferrer";
      }
      span.appendChild(a);
    } else if (t.type === "bnode") {
      span.appendChild(text("_:" + t.value));
    } else {
      span.appendChild(text(t.value));
      var lang = t["xml:lang"];
      if (lang) { span.appendChild(text("@" + lang)); }
      else if (t.datatype) {
        var small = document.createElement("small");
        small.appendChild(text("^^<" + t.datatype + ">"));
        span.appendChild(text(" "));
        span.appendChild(small);
      }
    }
    return span;
  }

  function SafeTable(yasr) {
    this.yasr = yasr;
    this.priority = 10;
    this.label = "Table";
  }
  SafeTable.prototype.canHandleResults = function () {
    var results = this.yasr.results;
    return !!results && !results.getError() && !!results.getBindings() && results.getVariables().length > 0;
  };
  SafeTable.prototype.getIcon = function () {
    var icon = document.createElement("span");
    icon.textContent = "\u25a6";
    return icon;
  };
  SafeTable.prototype.draw = function () {
    var results = this.yasr.results;
    var variables = results.getVariables();
    var table = document.createElement("table");
    table.className = "iakg-results";
    var head = table.createTHead().insertRow();
    head.appendChild(document.createElement("th")).appendChild(text("#"));
    variables.forEach(function (v) { head.appendChild(document.createElement("th")).appendChild(text("?" + v)); });
    var body = table.createTBody();
    results.getBindings().forEach(function (binding, i) {
      var row = body.insertRow();
      row.insertCell().appendChild(text(i + 1));
      variables.forEach(function (v) { row.insertCell().appendChild(term(binding[v])); });
    });
    this.yasr.resultsEl.appendChild(table);
  };

  Yasgui.Yasr.registerPlugin("table", SafeTable);
  Yasgui.Yasqe.defaults.autocompleters = ["variables"];

  var examples = JSON.parse(document.getElementById("examples").textContent);
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
  if (index >= 0) { yasgui.getTab().query(); }  // /editor?query=NAME opens a catalogue query by name and runs it
})();
