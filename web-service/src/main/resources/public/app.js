// The page's behaviour: classify one image through POST /classify (JSON), show label, top-5 and time; keep the last
// results and the API key (if the service needs one: X-Api-Key) in this browser tab only. Queue and worker counts
// (/api/v1/status) are on the management port (docs/security.md): where the page is opened there, it shows them in
// the live panel every few seconds (the operator's view); on the public port the panel stays hidden.
// Everything that comes from a file or the server is written with textContent, never as HTML.
(() => {
  'use strict';
  const RECENT_MAX = 10;
  const STATUS_EVERY_MS = 3000;
  const RECENT_KEY = 'elastic-image.recent';
  const API_KEY_KEY = 'elastic-image.api-key';
  const $ = (id) => document.getElementById(id);

  const form = $('upload-form');
  const input = $('file-input');
  const zone = $('drop-zone');
  const button = $('classify-button');
  const result = $('result');
  const error = $('error');
  const apiKey = $('api-key');
  let current = null;
  let previewUrl = null;
  let busy = false;

  const percent = (p) => (p * 100).toFixed(p >= 0.995 || p < 0.0995 ? 1 : 0) + ' %';
  const duration = (ms) => ms < 1000 ? Math.round(ms) + ' ms' : (ms / 1000).toFixed(2) + ' s';
  const number = (n) => (n === null || n === undefined) ? '–' : String(n);
  const clock = (ms) => new Date(ms).toLocaleTimeString([], { hour12: false });

  function showError(message) {
    error.textContent = message;
    error.hidden = false;
  }

  async function classify(file) {
    if (!file || busy) return;
    current = file;
    busy = true;
    button.disabled = true;
    error.hidden = true;
    result.setAttribute('aria-busy', 'true');
    $('result-status').textContent = 'Classifying ' + file.name;
    if (previewUrl) URL.revokeObjectURL(previewUrl);
    previewUrl = URL.createObjectURL(file);
    const body = new FormData();
    body.append('myfile', file, file.name);
    const started = performance.now();
    try {
      const headers = { Accept: 'application/json' };
      const key = apiKey.value.trim();
      if (key) headers['X-Api-Key'] = key;
      const response = await fetch('/classify', { method: 'POST', body, headers });
      const took = performance.now() - started;
      const data = await response.json().catch(() => null);
      if (!response.ok) {
        const reason = data && data.message ? data.message : response.statusText;
        $('result-status').textContent = 'Not classified.';
        showError(response.status + ': ' + reason + (data && data.id ? ' (request ' + data.id + ')' : '')
          + (response.status === 401 ? ' Enter the API key below, then press Classify again.' : ''));
        return;
      }
      render(data, took);
      remember({ at: Date.now(), file: data.file, label: data.label, confidence: data.confidence, ms: took });
    } catch (e) {
      $('result-status').textContent = 'Not classified.';
      showError('The service did not answer: ' + e.message);
    } finally {
      busy = false;
      button.disabled = !current;
      result.setAttribute('aria-busy', 'false');
    }
  }

  function render(data, took) {
    $('result-status').textContent = 'Result for ' + data.file + ':';
    $('result-label').textContent = data.label;
    $('result-confidence').textContent = percent(data.confidence);
    $('result-time').textContent = duration(took);
    $('result-file').textContent = data.file;
    const img = $('preview');
    img.src = previewUrl;
    img.alt = 'The classified image, ' + data.file;
    const list = $('top5');
    list.replaceChildren(...(data.top5 || []).map((p) => {
      const li = document.createElement('li');
      const row = document.createElement('div');
      row.className = 'row';
      const name = document.createElement('span');
      name.textContent = p.label;
      const value = document.createElement('span');
      value.className = 'num';
      value.textContent = percent(p.probability);
      row.append(name, value);
      const bar = document.createElement('div');
      bar.className = 'bar';
      bar.setAttribute('aria-hidden', 'true');
      const fill = document.createElement('span');
      fill.style.width = Math.max(0, Math.min(100, p.probability * 100)).toFixed(1) + '%';
      bar.append(fill);
      li.append(row, bar);
      return li;
    }));
    $('result-body').hidden = false;
  }

  // ---- last results (this tab only) ----
  function loadRecent() {
    try {
      const items = JSON.parse(sessionStorage.getItem(RECENT_KEY) || '[]');
      return Array.isArray(items) ? items.slice(0, RECENT_MAX) : [];
    } catch (e) {
      return [];
    }
  }

  function remember(item) {
    const items = [item, ...loadRecent()].slice(0, RECENT_MAX);
    try { sessionStorage.setItem(RECENT_KEY, JSON.stringify(items)); } catch (e) { /* private mode: keep going */ }
    renderRecent(items);
  }

  function renderRecent(items) {
    const body = $('recent');
    if (!items.length) return;
    body.replaceChildren(...items.map((r) => {
      const tr = document.createElement('tr');
      const cells = [clock(r.at), r.file, r.label, percent(r.confidence), duration(r.ms)];
      cells.forEach((text, i) => {
        const td = document.createElement('td');
        td.textContent = text;
        if (i === 1) td.title = r.file;
        if (i >= 3) td.className = 'num';
        tr.append(td);
      });
      return tr;
    }));
  }

  // ---- input: choose, drop, resubmit ----
  input.addEventListener('change', () => classify(input.files[0]));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    classify(input.files[0] || current);
  });
  ['dragenter', 'dragover'].forEach((type) => zone.addEventListener(type, (e) => {
    e.preventDefault();
    zone.classList.add('over');
  }));
  ['dragleave', 'drop'].forEach((type) => zone.addEventListener(type, () => zone.classList.remove('over')));
  zone.addEventListener('drop', (e) => {
    e.preventDefault();
    const file = e.dataTransfer && e.dataTransfer.files[0];
    if (file) classify(file);
  });

  // ---- API key (this tab only) ----
  try { apiKey.value = sessionStorage.getItem(API_KEY_KEY) || ''; } catch (e) { /* private mode */ }
  apiKey.addEventListener('change', () => {
    try { sessionStorage.setItem(API_KEY_KEY, apiKey.value.trim()); } catch (e) { /* private mode: keep going */ }
  });

  // ---- live panel: only where the status document answers (the management port) ----
  let statusTimer = null;
  const fetchStatus = () => fetch('/api/v1/status', { headers: { Accept: 'application/json' }, cache: 'no-store' });
  // Shows one status answer (the first one startLivePanel already has), then asks again every few seconds.
  async function refreshStatus(first) {
    try {
      const response = first || await fetchStatus();
      if (!response.ok) throw new Error('HTTP ' + response.status);
      const s = await response.json();
      const q = s.requestQueue;
      $('live-visible').textContent = number(q && q.visible);
      $('live-in-flight').textContent = number(q && q.inFlight);
      // Visible and held: the web tier's dead-letter watcher hides each one it reported (docs/reliability.md).
      const dlq = s.deadLetterQueue;
      $('live-dlq').textContent = number(dlq && dlq.visible + dlq.inFlight);
      $('live-running').textContent = number(s.workers && s.workers.running);
      $('live-desired').textContent = number(s.workers && s.workers.desired);
      $('live-pending').textContent = number(s.pending);
      const problems = (s.problems || []).join('; ');
      $('live-updated').textContent = 'Updated ' + clock(s.time)
        + (problems ? ' · ' + problems : '') + (s.workers ? '' : ' · worker counts come from the local autoscaler');
    } catch (e) {
      $('live-updated').textContent = 'Status unavailable (' + e.message + '); retrying.';
    } finally {
      statusTimer = setTimeout(refreshStatus, document.hidden ? STATUS_EVERY_MS * 5 : STATUS_EVERY_MS);
    }
  }
  async function startLivePanel() {
    let response;
    try {
      response = await fetchStatus();
    } catch (e) {
      return;
    }
    if (!response.ok) return;   // the public port: no status here
    $('live-card').hidden = false;
    $('footer-note').textContent = 'Management port: live counts below; the API answers on the public port.';
    document.addEventListener('visibilitychange', () => {
      if (!document.hidden) {
        clearTimeout(statusTimer);
        refreshStatus();
      }
    });
    refreshStatus(response);
  }

  renderRecent(loadRecent());
  startLivePanel();
})();
