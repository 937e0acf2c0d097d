// Drag-and-drop for the "Log an email" form on a client page (progressive enhancement: the
// form's file input and button work without it). A dropped file goes into the input and the
// form is submitted as if the button had been pressed.
(function () {
  document.querySelectorAll("form[data-eml-drop]").forEach(function (form) {
    var input = form.querySelector("input[type=file]");
    var hint = form.querySelector(".drop-hint");
    if (!input || typeof DataTransfer === "undefined") return;
    if (hint) hint.hidden = false;
    ["dragenter", "dragover"].forEach(function (name) {
      form.addEventListener(name, function (event) {
        event.preventDefault();
        form.classList.add("dragging");
      });
    });
    ["dragleave", "drop"].forEach(function (name) {
      form.addEventListener(name, function () {
        form.classList.remove("dragging");
      });
    });
    form.addEventListener("drop", function (event) {
      event.preventDefault();
      var files = event.dataTransfer && event.dataTransfer.files;
      if (!files || !files.length) return;
      var chosen = new DataTransfer();
      chosen.items.add(files[0]);
      input.files = chosen.files;
      form.requestSubmit();
    });
  });
})();
