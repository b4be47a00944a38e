// The record page's print button (inline handlers are not allowed by the console's CSP).
document.querySelectorAll("[data-print]").forEach((button) => {
  button.addEventListener("click", () => window.print());
});
