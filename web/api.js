// The one client of patrolmap's HTTP API: every request of the map goes through `request`, so
// every failure reaches the page the same way, as an `ApiError` whose message is already in
// the user's language (from the error's code, never the server's English in the Chinese UI;
// a lost connection says so in words too). JSON in and out; `signal` cancels.
import { t, errorText } from './i18n.js';

/** A request that failed: `status` (0 when the server was not reached), the error's `code`
 * and `field`, its JSON `body` (a 409 carries what changed), and a message to show. */
export class ApiError extends Error {
  constructor(message, { status = 0, code = null, field = null, body = null } = {}) {
    super(message);
    this.name = 'ApiError';
    Object.assign(this, { status, code, field, body });
  }
}

/**
 * `path` asked with `method`, the `json` value as the body (or `body` with `contentType`);
 * the response when it succeeded, an [`ApiError`] otherwise. An aborted request throws the
 * browser's `AbortError` unchanged, for the caller to tell a cancel from a failure.
 */
export async function request(path, { method = 'GET', json, body, contentType, signal } = {}) {
  const headers = {};
  if (json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(json);
  } else if (contentType) {
    headers['content-type'] = contentType;
  }
  let response;
  try {
    response = await fetch(path, { method, headers, body, signal });
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError(t('err_network'));
  }
  if (response.ok) return response;
  const answer = await response.json().catch(() => null);
  throw new ApiError(errorText(answer, response.status), {
    status: response.status, code: answer?.code ?? null, field: answer?.field ?? null, body: answer,
  });
}

/** The JSON answer of `GET path`. */
export async function getJson(path, options = {}) {
  return (await request(path, options)).json();
}

/** The JSON answer of `method path` (POST unless told) with `value` as its JSON body. */
export async function sendJson(path, value, { method = 'POST', signal } = {}) {
  return (await request(path, { method, json: value, signal })).json();
}

/** The progress of long work `id` (`GET /api/work/{id}`), or null while the server has none. */
export async function workProgress(id) {
  try {
    return await getJson(`/api/work/${id}`);
  } catch {
    return null;
  }
}

/** Asks the server to stop long work `id`; a failure is not the user's to see. */
export function cancelWork(id) {
  request(`/api/work/${id}`, { method: 'DELETE' }).catch(() => {});
}
