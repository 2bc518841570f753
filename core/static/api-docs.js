// Swagger UI over the platform's OpenAPI document (/api/v1/docs). No inline script: the page's CSP allows 'self' only.
document.addEventListener("DOMContentLoaded", () => {
  const root = document.querySelector("[data-api-docs]");
  if (!root || typeof window.SwaggerUIBundle !== "function") return;
  window.SwaggerUIBundle({
    url: root.dataset.spec,
    domNode: root,
    deepLinking: true,
    // "Try it out" runs with the signed-in session: unsafe calls carry its CSRF token, as the pages' own calls do.
    requestInterceptor: (request) => {
      request.headers["X-CSRFToken"] = root.dataset.csrf;
      return request;
    },
  });
});
