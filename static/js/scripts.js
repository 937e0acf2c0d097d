/* The script page's Copy buttons (shown only with JavaScript): copy the text to the clipboard,
   or select it for Ctrl+C where the browser does not allow that. */
(function () {
  function status(button, text) {
    var out = button.parentNode.querySelector(".copy-status");
    if (out) out.textContent = text;
  }
  function show(root) {
    root.querySelectorAll("[data-copy]").forEach(function (b) { b.hidden = false; });
  }
  show(document);
  document.body.addEventListener("htmx:afterSwap", function () { show(document); });
  document.body.addEventListener("click", function (e) {
    var button = e.target.closest("[data-copy]");
    if (!button) return;
    var box = document.getElementById(button.dataset.copy);
    function fallback() {
      box.focus();
      box.select();
      status(button, "Your browser did not let Rapport copy: the text is selected, press Ctrl+C (⌘C on a Mac).");
    }
    if (!navigator.clipboard || !window.isSecureContext) { fallback(); return; }
    navigator.clipboard.writeText(box.value).then(function () {
      status(button, "Copied.");
    }, fallback);
  });
})();
