/* The weekly review: choosing a decision that changes course (reset, boundary, walk away)
   opens that client's step-back questions. Without JavaScript they open by hand. */
document.addEventListener("change", function (e) {
  var radio = e.target;
  if (!radio.matches || !radio.matches(".review-client input[name=decision]")) return;
  var details = radio.closest("form").querySelector("details.step-back");
  if (details && radio.hasAttribute("data-step-back")) details.open = true;
});
