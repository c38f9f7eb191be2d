// Small enhancements of the portal's pages; every page also works without them.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  // Selects marked js-autosubmit (the language switcher) submit their form on change,
  // so their fallback button can be hidden.
  for (const select of document.querySelectorAll("select.js-autosubmit")) {
    const button = select.form && select.form.querySelector("button[type=submit]");
    if (button) button.classList.add("visually-hidden");
    select.addEventListener("change", () => select.form.submit());
  }
  // A freshly issued API key is selected so that it can be copied at once.
  const secret = document.querySelector("input.secret-field");
  if (secret) {
    secret.addEventListener("focus", () => secret.select());
    secret.focus();
  }
});
