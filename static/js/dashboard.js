/* The dashboard's live part (#live): refreshed every 60 s while the tab is visible, at once when
   it becomes visible again, and never while a form inside it is being used or a flag's snooze
   and resolve forms are open or on their way (what is typed stays). A change made elsewhere on
   the page (flagsChanged, e.g. the quick log) refreshes it at once; the flag forms inside it
   answer with #live themselves, so their own flagsChanged is ignored. */
(function () {
  var PERIOD = 60000, RETRY = 5000, last = Date.now();
  function busy() {
    var live = document.getElementById("live"), a = document.activeElement;
    if (!live) return true;
    return (a && a !== document.body && live.contains(a) && a.closest("form")) ||
      live.querySelector(".flag-form, .flag-actions .htmx-request") !== null;
  }
  function reload() {
    last = Date.now();
    document.body.dispatchEvent(new CustomEvent("refreshDashboard"));
  }
  function refresh() {
    if (document.visibilityState === "visible" && !busy()) reload();
  }
  setInterval(function () { if (Date.now() - last >= PERIOD) refresh(); }, RETRY);
  document.addEventListener("visibilitychange", function () {
    if (Date.now() - last >= RETRY) refresh();
  });
  document.body.addEventListener("htmx:afterRequest", function (e) {
    if (e.detail.target && e.detail.target.id === "live") last = Date.now();
  });
  document.body.addEventListener("flagsChanged", function (e) {
    if (!(e.target.closest && e.target.closest("#live"))) reload();
  });
  /* A flag's Cancel link, where its forms were loaded beside it: close them and give the focus
     back to the link that opened them (elsewhere it is an ordinary link back). */
  document.addEventListener("click", function (e) {
    var link = e.target.closest(".flag-more .flag-form-cancel a");
    if (!link) return;
    e.preventDefault();
    var box = link.closest(".flag-more"), open = box.parentNode.querySelector(".flag-open");
    box.replaceChildren();
    if (open) open.focus();
  });
})();
