/* Admin and console header: picking a network submits the selector form (no inline handler, so the
   Content-Security-Policy can forbid inline script). */
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const select = document.getElementById("network-select");
  if (select) select.addEventListener("change", () => select.form.submit());
});
