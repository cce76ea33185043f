// Every page: open the folded sections before printing. A file, not an inline script: the pages' Content-
// Security-Policy runs scripts from this site only.
window.addEventListener("beforeprint", function () {
  document.querySelectorAll("details").forEach(function (d) { d.open = true; });
});
