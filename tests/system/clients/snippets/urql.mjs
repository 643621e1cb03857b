import { Client, cacheExchange, fetchExchange } from '@urql/core';

export function makeUrqlClient({ httpUrl, session }) {
  return new Client({
    url: httpUrl,
    exchanges: [cacheExchange, fetchExchange],
    preferGetMethod: false,
    fetchOptions: () => ({
      headers: session.token ? { Authorization: `JWT ${session.token}` } : {},
    }),
  });
}
