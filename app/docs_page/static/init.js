// Starts Swagger UI on the server's own OpenAPI document (no inline script: the page's
// Content-Security-Policy allows scripts from this server only).
window.addEventListener("DOMContentLoaded", function () {
  window.ui = SwaggerUIBundle({
    url: document.body.dataset.openapi,
    dom_id: "#swagger-ui",
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    validatorUrl: null, // never send the document to swagger.io for a badge
  });
});
