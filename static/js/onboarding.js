/* First run, time zone step: propose the browser's time zone in the list when none is chosen
   yet. The server validates whatever is sent; without JavaScript the list is all there is. */
(function () {
  var select = document.querySelector("select[data-browser-zone]");
  var note = document.getElementById("zone-proposed");
  if (!select || select.value || !window.Intl) return;
  var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  var known = Array.prototype.some.call(select.options, function (o) { return o.value === zone; });
  if (!zone || !known) return;
  select.value = zone;
  if (note) {
    note.textContent = "Proposed from your browser: " + select.options[select.selectedIndex].text +
      ". Change it if that is not where you work.";
    note.hidden = false;
  }
})();
