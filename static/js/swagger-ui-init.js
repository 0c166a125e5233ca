/* Starts Swagger UI on /api/docs/ with the configuration the page carries as JSON (see
 * api/docs.py). Adapted from drf-spectacular's swagger_ui.js template (BSD licence): the same
 * behaviour, with its template values read from the page instead of written into the script. */
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("swagger-ui-config").textContent);
  var schemaAuthNames = config.schemaAuthNames || [];
  var schemaAuthFailed = false;
  var plugins = [];
  var ui = null;

  function reloadSchema() {
    schemaAuthFailed = false;
    setTimeout(function () { ui.specActions.download(); });
  }
  function reloadSchemaOnAuthChange() {
    var wrap = function (ori) {
      return function () { reloadSchema(); return ori.apply(null, arguments); };
    };
    return { statePlugins: { auth: { wrapActions: {
      authorizeOauth2: wrap, authorize: wrap, logout: wrap
    } } } };
  }
  if (schemaAuthNames.length > 0) plugins.push(reloadSchemaOnAuthChange);

  function isSchemaUrl(url) {
    return ui !== null && url === new URL(ui.getConfigs().url, document.baseURI).href;
  }

  function responseInterceptor(response) {
    if (!response.ok && isSchemaUrl(response.url)) {
      console.warn("schema request received '" + response.status + "'. disabling credentials for schema till logout.");
      if (!schemaAuthFailed) {
        schemaAuthFailed = true;  // retry once only
        setTimeout(function () { ui.specActions.download(); });
      }
    }
    return response;
  }

  function injectAuthCredentials(request) {
    var authorized;
    if (ui !== null) {
      var state = ui.getState().get("auth").get("authorized");
      if (state !== undefined && Object.keys(state.toJS()).length !== 0) authorized = state.toJS();
    } else if ([undefined, "{}"].indexOf(localStorage.authorized) < 0) {
      authorized = JSON.parse(localStorage.authorized);
    }
    if (authorized === undefined) return;
    for (var i = 0; i < schemaAuthNames.length; i++) {
      var authDef = authorized[schemaAuthNames[i]];
      if (authDef === undefined || authDef.schema === undefined) continue;
      var schema = authDef.schema;
      if (schema.type === "http" && schema.scheme === "bearer") {
        request.headers.Authorization = "Bearer " + authDef.value;
        return;
      } else if (schema.type === "http" && schema.scheme === "basic") {
        request.headers.Authorization = "Basic " + btoa(authDef.value.username + ":" + authDef.value.password);
        return;
      } else if (schema.type === "apiKey" && schema.in === "header") {
        request.headers[schema.name] = authDef.value;
        return;
      } else if (schema.type === "oauth2" && authDef.token.token_type === "Bearer") {
        request.headers.Authorization = "Bearer " + authDef.token.access_token;
        return;
      }
    }
  }

  function requestInterceptor(request) {
    if (request.loadSpec && schemaAuthNames.length > 0 && !schemaAuthFailed) {
      try { injectAuthCredentials(request); } catch (e) { console.error("schema auth injection failed with error: ", e); }
    }
    // Only the site's own requests that change something carry the CSRF token.
    if (["GET", undefined].indexOf(request.method) < 0 && request.credentials === "same-origin") {
      request.headers[config.csrfHeaderName] = config.csrfToken;
    }
    return request;
  }

  ui = SwaggerUIBundle(Object.assign({
    url: config.schemaUrl,
    dom_id: "#swagger-ui",
    presets: [SwaggerUIBundle.presets.apis],
    plugins: plugins,
    layout: "BaseLayout",
    requestInterceptor: requestInterceptor,
    responseInterceptor: responseInterceptor
  }, config.settings));
  if (config.oauth2Config) ui.initOAuth(config.oauth2Config);
})();
