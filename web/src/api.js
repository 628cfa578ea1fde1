// Calls the project's API and returns its JSON answer without throwing on
// HTTP errors: {ok, status, body, error}, where error is the API's
// {"error": {code, message, ...}} object.
//
// When the page has loaded Cognito's advanced security data script (as
// production builds should, for threat protection), the device data it
// encodes goes with every call in x-user-context-data, which the API passes
// to Cognito as UserContextData.
export function apiClient(base, accessToken, pool = {}) {
  function userContextData(body) {
    const collector = globalThis.AmazonCognitoAdvancedSecurityData;
    if (!collector || !pool.userPoolId || !pool.clientId) return null;
    const username = body?.email ?? body?.username ?? '';
    try {
      return collector.getData(username, pool.userPoolId, pool.clientId) || null;
    } catch {
      return null;
    }
  }

  async function call(method, path, body, { anonymous = false } = {}) {
    const headers = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const contextData = userContextData(body);
    if (contextData) headers['x-user-context-data'] = contextData;
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
