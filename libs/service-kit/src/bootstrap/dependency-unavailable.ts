/**
 * Whether an error says a dependency (Postgres, the broker, another service) could not be
 * reached, rather than that the code is wrong: such a call is worth retrying, so a gRPC caller
 * gets UNAVAILABLE instead of INTERNAL. Looks through TypeORM's `driverError` and `cause`.
 */
export function isDependencyUnavailable(err: unknown, depth = 0): boolean {
  if (typeof err !== 'object' || err === null || depth > 4) return false;
  const code = 'code' in err && typeof err.code === 'string' ? err.code : undefined;
  if (code !== undefined) {
    if (SOCKET_CODES.has(code)) return true;
    // SQLSTATE class 08 (connection exception), 57P01-03 (shutdown, cannot connect now).
    if (/^08[0-9A-Z]{3}$/.test(code) || /^57P0[1-3]$/.test(code)) return true;
  }
  const message = err instanceof Error ? err.message : '';
  if (PG_POOL_MESSAGES.some((m) => message.includes(m))) return true;
  if ('driverError' in err && isDependencyUnavailable(err.driverError, depth + 1)) return true;
  return 'cause' in err && isDependencyUnavailable(err.cause, depth + 1);
}

const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

/** node-postgres's own wording when a pooled connection dies or none can be had in time. */
const PG_POOL_MESSAGES = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'Client has encountered a connection error',
  'Query read timeout',
];
