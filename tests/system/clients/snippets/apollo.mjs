import { ApolloClient, HttpLink, InMemoryCache, from, split } from '@apollo/client/core/index.js';
import { setContext } from '@apollo/client/link/context/index.js';
import { onError } from '@apollo/client/link/error/index.js';
import { GraphQLWsLink } from '@apollo/client/link/subscriptions/index.js';
import { getMainDefinition } from '@apollo/client/utilities/index.js';
import { Observable } from '@apollo/client/utilities/index.js';
import { createClient } from 'graphql-ws';

const REFRESH = `mutation Refresh($refreshToken: String) {
  refreshToken(refreshToken: $refreshToken) {
    __typename
    ... on TokenPayload { token refreshToken }
    ... on OperationInfo { messages { code message } }
  }
}`;

// `session` holds { token, refreshToken } (keep it wherever your app keeps secrets).
export function makeApolloClient({ httpUrl, wsUrl, session, webSocketImpl }) {
  async function refresh() {
    const response = await fetch(httpUrl, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/graphql-response+json' },
      body: JSON.stringify({ query: REFRESH, variables: { refreshToken: session.refreshToken } }),
    });
    const result = (await response.json()).data.refreshToken;
    if (result.__typename !== 'TokenPayload') throw new Error('log in again');
    Object.assign(session, { token: result.token, refreshToken: result.refreshToken });
  }

  // TOKEN_EXPIRED: refresh once and retry; INVALID_TOKEN: the user must log in again.
  const refreshOnExpiry = onError(({ graphQLErrors, networkError, operation, forward }) => {
    const errors = graphQLErrors ?? networkError?.result?.errors ?? [];
    if (!errors.some((error) => error.extensions?.code === 'TOKEN_EXPIRED')) return undefined;
    return new Observable((observer) => {
      refresh()
        .then(() => forward(operation).subscribe(observer))
        .catch((error) => observer.error(error));
    });
  });

  const auth = setContext((_, { headers }) => ({
    headers: { ...headers, ...(session.token ? { Authorization: `JWT ${session.token}` } : {}) },
  }));

  const http = new HttpLink({ uri: httpUrl });
  const ws = new GraphQLWsLink(
    createClient({
      url: wsUrl, // the graphql-transport-ws protocol; the token goes in connection_init
      webSocketImpl,
      connectionParams: () => (session.token ? { authorization: `JWT ${session.token}` } : {}),
    }),
  );
  const isSubscription = ({ query }) => {
    const definition = getMainDefinition(query);
    return definition.kind === 'OperationDefinition' && definition.operation === 'subscription';
  };

  return new ApolloClient({
    link: split(isSubscription, ws, from([refreshOnExpiry, auth, http])),
    cache: new InMemoryCache(),
  });
}
