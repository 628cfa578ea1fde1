// Calls the project's API and returns its JSON answer without throwing on
// HTTP errors: {ok, status, body, error}, where error is the API's
// {"error": {code, message, ...}} object.
export function apiClient(base, accessToken) {
  async function call(method, path, body, { anonymous = false } = {}) {
    const headers = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (!anonymous) {
      const token = await accessToken();
      if (!token) throw new Error('You are signed out.');
      headers.authorization = `Bearer ${token}`;
    }
    const response = await fetch(base + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    let parsed = null;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      parsed = null;
    }
    return {
      ok: response.ok,
      status: response.status,
      body: parsed,
      error: response.ok ? null : parsed?.error ?? { code: 'unexpected', message: `HTTP ${response.status}` },
    };
  }
  return { call };
}
