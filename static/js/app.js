// The page behaviours the templates ask for with data- attributes: the Content-Security-Policy
// allows no inline script (no onclick=, onsubmit=, hx-on), so they all live here.
"use strict";

// Captured at the document, so it runs before htmx's own submit listener reads the form.
document.addEventListener("submit", (event) => {
  const form = event.target;
  // <form data-confirm="Question?">: asks before sending.
  if (form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
    event.preventDefault();
    event.stopImmediatePropagation();
    return;
  }
  // <input type="hidden" data-location="search|path">: the address as it is when sent (HTMX
  // filtering changes it after the page was drawn).
  for (const input of form.querySelectorAll("input[data-location]")) {
    input.value = input.dataset.location === "path" ? location.pathname + location.search : location.search;
  }
}, true);

// <select data-autosubmit>: choosing sends the form.
document.addEventListener("change", (event) => {
  if (event.target.matches("select[data-autosubmit]")) event.target.form.submit();
});

// The customer search of the order form: a result picked fills the hidden customer field and
// the "Chosen:" line; the results close once its addresses are loaded.
document.addEventListener("click", (event) => {
  const choice = event.target.closest("#customer-results [data-customer]");
  if (!choice) return;
  document.getElementById("id_customer").value = choice.dataset.customer;
  document.getElementById("chosen-customer").textContent = choice.dataset.label;
});
document.addEventListener("htmx:afterRequest", (event) => {
  if (event.detail.elt.matches("#customer-results [data-customer]")) {
    document.getElementById("customer-results").replaceChildren();
  }
});
