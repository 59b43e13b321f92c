/* Starts Swagger UI on /api/docs (template: api/docs.html). Loaded with `defer`
 * after ninja's bundled swagger-ui-bundle.js.
 *
 * The CSP forbids inline scripts, so the settings the server renders (the OpenAPI URL,
 * layout, validatorUrl: null) arrive in the data-swagger-settings attribute.
 */
(function () {
  "use strict";

  var root = document.getElementById("swagger-ui");
  if (!root || typeof window.SwaggerUIBundle !== "function") {
    return;
  }
  var settings = JSON.parse(root.dataset.swaggerSettings);
  settings.dom_id = "#swagger-ui";
  settings.presets = [window.SwaggerUIBundle.presets.apis, window.SwaggerUIBundle.SwaggerUIStandalonePreset];
  window.SwaggerUIBundle(settings);
})();
