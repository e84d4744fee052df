// Runs the GraphQL-over-HTTP server audits of graphql-http against a running server
// and prints one JSON array of results on stdout: {id, name, status, reason}.
// status is "ok", or for a failure "error" (MUST), "warn" (SHOULD), "notice" (MAY).
// Usage: node audit.mjs http://127.0.0.1:PORT/graphql
import { serverAudits } from "graphql-http";

const url = process.argv[2];
if (!url) {
  console.error("usage: node audit.mjs URL");
  process.exit(2);
}

const results = [];
// One audit at a time, so that a failure's reason belongs to one request in the log.
for (const audit of serverAudits({ url })) {
  const result = await audit.fn();
  results.push({
    id: result.id,
    name: result.name,
    status: result.status,
    reason: result.status === "ok" ? null : result.reason,
  });
}
process.stdout.write(JSON.stringify(results));
