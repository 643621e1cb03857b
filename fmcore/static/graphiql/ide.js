// fm-core's GraphiQL page (templates/graphql/graphiql.html): the explorer plugin,
// queries over HTTP, subscriptions over graphql-ws, all on this page's own URL.
// The query and variables are kept in the address bar, to share them (headers, which
// may hold tokens, are not: GraphiQL keeps those in local storage).
(function () {
  "use strict";

  const EXAMPLE_QUERY = `# fm-core's GraphQL API: press the run button (or Ctrl-Enter).
# Log in with tokenAuth, then send "Authorization": "JWT <token>" in Headers below.
{
  products(first: 5) {
    edges { node { name price currency inStock } }
  }
}
`;

  const parameters = Object.fromEntries(new URLSearchParams(window.location.search));

  function updateURL(changes) {
    Object.assign(parameters, changes);
    const kept = Object.entries(parameters).filter(([, value]) => Boolean(value));
    history.replaceState(null, "", "?" + new URLSearchParams(kept).toString());
  }

  const fetchURL = window.location.href.split("?")[0];
  const subscriptionURL = new URL(fetchURL);
  subscriptionURL.protocol = subscriptionURL.protocol === "https:" ? "wss:" : "ws:";
  subscriptionURL.hash = "";

  // Cookie-mode requests are CSRF-checked (schema/views.py); header tokens are not.
  const headers = {};
  const csrfToken = Cookies.get("csrftoken");
  if (csrfToken) {
    headers["x-csrftoken"] = csrfToken;
  }

  const fetcher = GraphiQL.createFetcher({ url: fetchURL, headers, subscriptionUrl: subscriptionURL.toString() });
  const explorer = GraphiQLPluginExplorer.explorerPlugin();

  function FmGraphiQL() {
    const [query, setQuery] = React.useState(parameters.q || EXAMPLE_QUERY);
    const [variables, setVariables] = React.useState(parameters.variables);
    return React.createElement(GraphiQL, {
      fetcher,
      plugins: [explorer],
      query,
      variables,
      defaultEditorToolsVisibility: true,
      inputValueDeprecation: true,
      isHeadersEditorEnabled: true,
      shouldPersistHeaders: true,
      onEditQuery(value) {
        setQuery(value);
        updateURL({ q: value });
      },
      onEditVariables(value) {
        setVariables(value);
        updateURL({ variables: value });
      },
    });
  }

  ReactDOM.createRoot(document.getElementById("graphiql")).render(React.createElement(FmGraphiQL));
})();
