// Runs the docs/clients.md snippets (snippets/*.mjs) against a real server; prints JSON results.
import WebSocket from 'ws';
import { gql } from '@apollo/client/core/index.js';

import { makeApolloClient } from './snippets/apollo.mjs';
import { makeUrqlClient } from './snippets/urql.mjs';

const [httpUrl, wsUrl, expiredToken, refreshToken] = process.argv.slice(2);
const session = { token: expiredToken, refreshToken };
const apollo = makeApolloClient({ httpUrl, wsUrl, session, webSocketImpl: WebSocket });

const me = await apollo.query({ query: gql`query Me { me { email } }`, fetchPolicy: 'network-only' });

// A subscription over graphql-ws: refused or broken sockets error within moments.
const subscription = await new Promise((resolve) => {
  const running = apollo
    .subscribe({ query: gql`subscription { orderStatusChanged { toStatus } }` })
    .subscribe({ error: (error) => resolve(`error: ${error.message ?? JSON.stringify(error)}`) });
  setTimeout(() => {
    running.unsubscribe();
    resolve('open');
  }, 3000);
});

const urql = makeUrqlClient({ httpUrl, session });
const products = await urql.query('query Products { products(first: 10) { edges { node { name } } } }', {}).toPromise();

console.log(
  JSON.stringify({
    apolloMe: me.data.me,
    refreshed: session.token !== expiredToken,
    subscription,
    urqlProducts: products.data.products.edges.map((edge) => edge.node.name),
  }),
);
process.exit(0);
