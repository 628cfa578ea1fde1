// What the end-to-end scripts share: calling the running API, and printing
// checks (one line each, then the counts; the exit code says whether any
// failed).

/// A caller of the API at `base`. Each answer: status, headers, the parsed
/// body ({} when not JSON), the raw text, the request ID (header and error
/// body), `answer` (the body as text without the error's request ID, which
/// differs on every request by design, for comparing answers) and millis.
export function apiCaller(base) {
  return async function call(method, path, { body, token, raw, headers: extra = {} } = {}) {
    const headers = { ...extra };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (token !== undefined) headers.authorization = raw ? token : `Bearer ${token}`;
    const started = performance.now();
    const response = await fetch(`${base}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    const millis = performance.now() - started;
    let json = null;
    try {
      json = JSON.parse(text);
    } catch {
      json = null;
    }
    let answer = text;
    if (json?.error) {
      const { request_id: _, ...error } = json.error;
      answer = JSON.stringify({ ...json, error });
    }
    return {
      status: response.status,
      headers: response.headers,
      body: json ?? {},
      text,
      answer,
      requestId: response.headers.get('x-request-id'),
      errorRequestId: json?.error?.request_id,
      millis,
    };
  };
}

/// `check(condition, what, detail)` prints a line per check; `finish(label)`
/// prints the counts and sets the exit code. Extra counters (say, attacks)
/// go in `results` and in `finish`'s summary.
export function checks(extra = {}) {
  const results = { passed: 0, failed: 0, ...extra };
  function check(condition, what, detail = '') {
    results[condition ? 'passed' : 'failed'] += 1;
    const shown = typeof detail === 'string' ? detail : JSON.stringify(detail);
    console.log(`${condition ? 'ok  ' : 'FAIL'} ${what}${condition || !shown ? '' : `: ${shown}`}`);
  }
  function finish(label, summary = `${results.passed} checks passed, ${results.failed} failed`) {
    console.log(`${label}: ${summary}`);
    process.exitCode = results.failed === 0 ? 0 : 1;
  }
  return { check, results, finish };
}
