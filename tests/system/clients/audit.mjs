// The graphql-http audit suite (every MUST and SHOULD of GraphQL over HTTP) against URL.
import { auditServer } from 'graphql-http';

const url = process.argv[2];
const results = await auditServer({ url });
for (const result of results) {
  console.log(`${result.status}\t${result.name}${result.status === 'ok' ? '' : `\t${result.reason}`}`);
}
process.exit(results.every((result) => result.status === 'ok') ? 0 : 1);
