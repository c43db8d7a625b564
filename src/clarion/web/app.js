// Clarion's web page. Plain ES module, no build step, no third-party code; every URL is
// relative so the page also works behind a proxy that mounts Clarion under a prefix.

const MIME = {
  mp3: 'audio/mpeg',
  opus: 'audio/ogg',
  aac: 'audio/aac',
  flac: 'audio/flac',
  wav: 'audio/wav',
  pcm: 'audio/pcm',
};
const CUSTOM = '__custom__';
const KEY_NAME = 'clarion.apiKey';
const PREFS_NAME = 'clarion.prefs';
const STATS_EVERY_MS = 2000;
const BATCH_POLL_MS = 1000;

const $ = (sel) => document.querySelector(sel);

const state = {
  engines: new Map(), // name -> engine card from /v1/models
  uploadsRoute: null, // true / false once known
  uploaded: [],
  speech: null, // the request in progress: {controller, sink}
  onPlaying: null, // the player's 'playing' listener for the request in progress
  urls: {}, // object URLs in use, by slot, revoked when replaced
  statsTimer: null,
  statsMissing: false,
  // The server wants a key: its page says so, or it answered 401 at least once.
  needsKey: $('meta[name="clarion-api-keys"]').content === 'required',
  lastSink: null, // the previous clip's output, silenced when a new one starts
};

// ---------------------------------------------------------------- API access

class ApiError extends Error {
  constructor(message, status = 0, code = null) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

function storedKey() {
  return sessionStorage.getItem(KEY_NAME) || localStorage.getItem(KEY_NAME) || '';
}

function storeKey(key, remember) {
  sessionStorage.removeItem(KEY_NAME);
  localStorage.removeItem(KEY_NAME);
  if (key) (remember ? localStorage : sessionStorage).setItem(KEY_NAME, key);
  updateAuthButtons();
}

async function errorText(resp) {
  // Every Clarion error has an OpenAI-style body; show its message and nothing else.
  try {
    const body = await resp.json();
    if (body && body.error && typeof body.error.message === 'string') return body.error.message;
    if (body && typeof body.detail === 'string') return body.detail;
  } catch (_) {
    // not JSON: fall through to the status line
  }
  return `the server answered ${resp.status} ${resp.statusText || ''}`.trim();
}

async function api(path, { method = 'GET', json, form, signal, key } = {}) {
  const headers = {};
  const token = key !== undefined ? key : storedKey();
  if (token) headers.Authorization = `Bearer ${token}`;
  let body;
  if (json !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(json);
  } else if (form !== undefined) {
    body = form; // the browser sets the multipart boundary
  }
  let resp;
  try {
    resp = await fetch(path, { method, headers, body, signal, cache: 'no-store' });
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError('Cannot reach the Clarion server. Is it running?', 0, 'network');
  }
  if (resp.ok) return resp;
  const message = await errorText(resp);
  const err = new ApiError(message, resp.status, null);
  if (resp.status === 401 && key === undefined) showLogin(message);
  throw err;
}

// A route this server does not have (an older version, or a feature left out), as opposed
// to a 404 about something named in the request, such as an unknown model.
function missingRoute(e) {
  return e instanceof ApiError && [404, 405].includes(e.status) && /^(Not Found|Method Not Allowed)$/.test(e.message);
}

function describe(e) {
  if (e instanceof ApiError) {
    if (e.status === 401) return `Sign in with an API key to continue (${e.message}).`;
    if (e.status === 429 || e.status === 503) return `${e.message} Try again in a moment.`;
    return e.message;
  }
  if (e && e.name === 'AbortError') return 'Stopped.';
  // Anything else is a browser-side failure: its message only, never a stack.
  return (e && e.message) || String(e);
}

// ---------------------------------------------------------------- small UI helpers

// An error takes the place of its panel's status line (#speak-error and #speak-status, ...):
// a new error never sits above the line about the last success.
function showError(el, text) {
  el.textContent = text;
  el.hidden = !text;
  const status = document.getElementById(el.id.replace(/-error$/, '-status'));
  if (text && status) status.textContent = '';
}

function setStatus(el, text) {
  el.textContent = text;
}

function setLink(a, slot, blob, filename) {
  if (state.urls[slot]) URL.revokeObjectURL(state.urls[slot]);
  if (!blob) {
    state.urls[slot] = null;
    a.href = '#';
    a.setAttribute('aria-disabled', 'true');
    return;
  }
  state.urls[slot] = URL.createObjectURL(blob);
  a.href = state.urls[slot];
  a.download = filename;
  a.setAttribute('aria-disabled', 'false');
}

function ms(seconds) {
  if (seconds === null || seconds === undefined) return '–';
  return seconds < 10 ? `${Math.round(seconds * 1000)} ms` : `${seconds.toFixed(1)} s`;
}

function loadPrefs() {
  try {
    return JSON.parse(localStorage.getItem(PREFS_NAME) || '{}') || {};
  } catch (_) {
    return {};
  }
}

function savePrefs() {
  const prefs = {
    engine: $('#engine').value,
    voice: $('#voice').value,
    custom: $('#custom-voice').value,
    format: $('#format').value,
    speed: $('#speed').value,
  };
  localStorage.setItem(PREFS_NAME, JSON.stringify(prefs));
}

function option(value, label) {
  const o = document.createElement('option');
  o.value = value;
  o.textContent = label;
  return o;
}

// ---------------------------------------------------------------- sign-in

function updateAuthButtons() {
  const has = Boolean(storedKey());
  $('#sign-out').hidden = !has;
  $('#sign-in').hidden = has || !state.needsKey;
}

function showLogin(message) {
  state.needsKey = true;
  updateAuthButtons();
  const dialog = $('#login');
  const hadKey = Boolean(storedKey());
  showError($('#login-error'), hadKey ? `That key was refused: ${message}` : '');
  if (!dialog.open) {
    dialog.showModal();
    $('#api-key').focus();
  }
}

async function signIn(ev) {
  ev.preventDefault();
  const key = $('#api-key').value.trim();
  const err = $('#login-error');
  if (!key) {
    showError(err, 'Enter an API key.');
    return;
  }
  try {
    await api('v1/models', { key }); // check it before keeping it
  } catch (e) {
    showError(err, e.status === 401 ? `That key was refused: ${e.message}` : describe(e));
    return;
  }
  storeKey(key, $('#remember').checked);
  $('#api-key').value = '';
  showError(err, '');
  $('#login').close();
  await start();
}

function signOut() {
  storeKey('', false);
  stopStats();
  showLogin('signed out');
}

// ---------------------------------------------------------------- engines and voices

async function loadEngines() {
  const resp = await api('v1/models');
  const body = await resp.json();
  state.engines.clear();
  for (const card of body.data || []) {
    if (card.engine) state.engines.set(card.id, card.engine); // aliases have no engine card
  }
  const select = $('#engine');
  const prefs = loadPrefs();
  select.replaceChildren(...[...state.engines.keys()].map((name) => option(name, name)));
  if (prefs.engine && state.engines.has(prefs.engine)) select.value = prefs.engine;
  if (prefs.format) $('#format').value = prefs.format;
  if (prefs.speed) $('#speed').value = prefs.speed;
  if (prefs.custom) $('#custom-voice').value = prefs.custom;
  await loadVoices(prefs.voice);
}

function showEngineInfo() {
  const card = state.engines.get($('#engine').value);
  if (!card) {
    $('#engine-info').textContent = 'No engine is loaded.';
    $('#clone-hint').hidden = true;
    return;
  }
  const parts = [];
  if (card.languages && card.languages.length) parts.push(`languages: ${card.languages.join(', ')}`);
  if (card.sample_rate) parts.push(`${card.sample_rate} Hz`);
  if (card.streaming) parts.push(`streams by ${card.streaming}`);
  $('#engine-info').textContent = parts.join(' · ');
  $('#clone-hint').hidden = !card.cloning;
}

async function loadVoices(preferred) {
  const engine = $('#engine').value;
  showEngineInfo();
  const select = $('#voice');
  if (!engine) {
    select.replaceChildren(option(CUSTOM, 'Custom…'));
    renderExtras(engine, []);
    return;
  }
  const resp = await api(`v1/audio/voices?engine=${encodeURIComponent(engine)}`);
  const { voices } = await resp.json();
  renderExtras(engine, voices);
  const options = voices.map((v) => {
    const about = [v.language, v.gender].filter(Boolean).join(', ');
    const o = option(v.id, about ? `${v.name} (${about})` : v.name);
    if (v.description) o.title = v.description;
    return o;
  });
  const card = state.engines.get(engine);
  const known = new Set(voices.map((v) => v.id));
  const mine = state.uploaded.filter((v) => !known.has(v.id));
  if (card && card.cloning && mine.length) {
    const group = document.createElement('optgroup');
    group.label = 'Uploaded';
    group.append(...mine.map((v) => option(v.id, v.name || v.id)));
    options.push(group);
  }
  options.push(option(CUSTOM, 'Custom…'));
  const previous = preferred || select.value;
  select.replaceChildren(...options);
  if (previous && [...select.options].some((o) => o.value === previous)) select.value = previous;
  toggleCustomVoice();
}

function toggleCustomVoice() {
  $('#custom-voice-label').hidden = $('#voice').value !== CUSTOM;
}

function chosenVoice() {
  const v = $('#voice').value;
  return v === CUSTOM ? $('#custom-voice').value.trim() : v;
}

function chosenSettings(errorEl) {
  const model = $('#engine').value;
  const voice = chosenVoice();
  const speed = Number($('#speed').value);
  if (!model) return showError(errorEl, 'No engine is available on this server.');
  if (!voice) return showError(errorEl, 'Choose a voice, or type one under “Custom voice”.');
  if (!(speed >= 0.25 && speed <= 4)) return showError(errorEl, 'Speed must be a number from 0.25 to 4.');
  const settings = { model, voice, speed, response_format: $('#format').value };
  const seed = $('#seed').value.trim();
  if (seed) {
    settings.seed = Number(seed);
    if (!(Number.isInteger(settings.seed) && settings.seed >= 0 && settings.seed <= 4294967295)) {
      return showError(errorEl, 'Seed must be a whole number from 0 to 4294967295, or empty for a random one.');
    }
  }
  const changed = chosenExtras();
  if (Object.keys(changed).length) settings.extras = changed;
  return settings;
}

// ---------------------------------------------------------------- engine controls
// One control per property of the selected engine's extras schema (the JSON Schema each engine
// publishes as engine.extras on GET /v1/models): a slider for a bounded number, a number box
// otherwise, a checkbox, a text box, a picker of voices for a property that names a voice, and
// one slider per weight for a fixed-length array of numbers. Only what the person changes is
// sent, in the request's `extras`; the rest keeps the engine's defaults.

// What the schema cannot say. IndexTTS-2's emotion vector is a bare array of numbers; its
// description says "each 0-1" in words. Keyed by property name, used when items have no bounds.
const ITEM_RANGES = { emo_vector: [0, 1] };
// A string property whose name (or description) names a voice gets a picker of voices.
const VOICE_NAME_FIELD = /(^|_)(voice|speaker|spk|reference|ref)(_|$)/i;
const VOICE_DESCRIPTION = /\bvoice\b/i;
const MAX_VECTOR = 16;

const extras = { engine: null, controls: [], voices: [], pickers: [] };

// `X | None` is anyOf [X, {type: 'null'}]: the control is for X, and unset means the default.
function nonNull(prop) {
  if (!Array.isArray(prop.anyOf)) return prop;
  const kinds = prop.anyOf.filter((p) => p.type !== 'null');
  return kinds.length === 1 ? { ...prop, ...kinds[0], anyOf: undefined } : prop;
}

function niceStep(lo, hi, integer) {
  if (integer) return 1;
  return 10 ** Math.floor(Math.log10((hi - lo) / 100));
}

function decimals(step) {
  return Math.max(0, -Math.floor(Math.log10(step)));
}

// [lo, hi, step] for a slider, or null when the schema does not bound the number both ways.
function bounds(p, integer) {
  const lo = p.minimum ?? p.exclusiveMinimum;
  const hi = p.maximum ?? p.exclusiveMaximum;
  if (typeof lo !== 'number' || typeof hi !== 'number' || !(hi > lo)) return null;
  const step = niceStep(lo, hi, integer);
  const min = p.minimum ?? lo + step; // an exclusive bound: the first step inside it
  const max = p.maximum ?? hi - step;
  return max > min ? [min, max, step] : null;
}

let controlIds = 0;

function fieldShell(label, description, wide = false) {
  const id = `x-${++controlIds}`;
  const div = document.createElement('div');
  div.className = wide ? 'field wide' : 'field';
  const lab = document.createElement('label');
  lab.htmlFor = id;
  lab.textContent = label;
  div.append(lab);
  let hint = null;
  if (description) {
    hint = document.createElement('small');
    hint.className = 'hint';
    hint.id = `${id}-about`;
    hint.textContent = description;
  }
  return { id, div, hint };
}

// A range input with its value shown; `initial` null: the engine's default, not yet known.
function slider(id, lo, hi, step, initial, onInput) {
  const box = document.createElement('div');
  box.className = 'slider';
  const input = document.createElement('input');
  input.type = 'range';
  input.id = id;
  Object.assign(input, { min: String(lo), max: String(hi), step: String(step) });
  input.value = String(initial ?? (lo + hi) / 2);
  const out = document.createElement('output');
  out.htmlFor = id;
  const places = decimals(step);
  const show = () => (out.textContent = Number(input.value).toFixed(places));
  if (initial === null || initial === undefined) out.textContent = 'default';
  else show();
  input.addEventListener('input', () => {
    show();
    onInput();
  });
  box.append(input, out);
  return { box, input };
}

function numberControl(name, p, label) {
  const integer = p.type === 'integer';
  const { id, div, hint } = fieldShell(label, p.description);
  const control = { name, changed: false };
  const mark = () => (control.changed = true);
  const range = bounds(p, integer);
  let input;
  if (range) {
    const s = slider(id, ...range, p.default, mark);
    input = s.input;
    div.append(s.box);
  } else {
    input = document.createElement('input');
    input.type = 'number';
    input.id = id;
    input.step = integer ? '1' : 'any';
    input.inputMode = integer ? 'numeric' : 'decimal';
    if (p.default !== null && p.default !== undefined) input.value = String(p.default);
    else input.placeholder = 'default';
    input.addEventListener('input', mark);
    div.append(input);
  }
  control.read = () => (input.value === '' ? undefined : Number(input.value));
  return { control, div, hint, input };
}

// The names of an array's items, when its description lists exactly that many after a colon
// ("Emotion weights, each 0-1: happy, angry, sad, ...").
function itemNames(description, n) {
  const m = /:\s*([^.(;]+)/.exec(description || '');
  if (!m) return null;
  const names = m[1].split(',').map((s) => s.trim());
  return names.length === n && names.every((w) => /^[\w -]{1,32}$/.test(w)) ? names : null;
}

function vectorControl(name, p, label) {
  const n = p.minItems;
  const items = p.items || {};
  const integer = items.type === 'integer';
  const names = itemNames(p.description, n) || [...Array(n).keys()].map((i) => `${label} ${i + 1}`);
  const fallback = ITEM_RANGES[name];
  const lo = items.minimum ?? (fallback ? fallback[0] : undefined);
  const hi = items.maximum ?? (fallback ? fallback[1] : undefined);
  const group = document.createElement('fieldset');
  group.className = 'vector wide';
  const legend = document.createElement('legend');
  legend.textContent = label;
  group.append(legend);
  if (p.description) {
    const hint = document.createElement('small');
    hint.className = 'hint';
    hint.textContent = p.description;
    group.append(hint);
  }
  const grid = document.createElement('div');
  grid.className = 'vector-grid';
  const control = { name, changed: false };
  const mark = () => (control.changed = true);
  const defaults = Array.isArray(p.default) && p.default.length === n ? p.default : null;
  const inputs = names.map((item, i) => {
    const id = `x-${++controlIds}`;
    const field = document.createElement('div');
    field.className = 'field';
    const lab = document.createElement('label');
    lab.htmlFor = id;
    lab.textContent = item;
    field.append(lab);
    let start = defaults ? defaults[i] : 0;
    let input;
    if (typeof lo === 'number' && typeof hi === 'number') {
      start = Math.min(hi, Math.max(lo, start));
      const s = slider(id, lo, hi, niceStep(lo, hi, integer), start, mark);
      input = s.input;
      field.append(s.box);
    } else {
      input = document.createElement('input');
      input.type = 'number';
      input.id = id;
      input.step = integer ? '1' : 'any';
      input.value = String(start);
      input.addEventListener('input', mark);
      field.append(input);
    }
    grid.append(field);
    return input;
  });
  group.append(grid);
  control.read = () => inputs.map((input) => Number(input.value || 0));
  return { control, div: group };
}

function fillVoicePicker(select) {
  const keep = select.value;
  const none = option('', '(not set)');
  const known = new Set(extras.voices.map((v) => v.id));
  const opts = extras.voices.map((v) => option(v.id, v.name || v.id));
  const mine = state.uploaded.filter((v) => !known.has(v.id));
  if (mine.length) {
    const group = document.createElement('optgroup');
    group.label = 'Uploaded';
    group.append(...mine.map((v) => option(v.id, v.name || v.id)));
    opts.push(group);
  }
  select.replaceChildren(none, ...opts);
  if ([...select.options].some((o) => o.value === keep)) select.value = keep;
}

function stringControl(name, p, label) {
  const { id, div, hint } = fieldShell(label, p.description);
  const control = { name, changed: false };
  const mark = () => (control.changed = true);
  let input;
  if (Array.isArray(p.enum) || VOICE_NAME_FIELD.test(name) || VOICE_DESCRIPTION.test(p.description || '')) {
    input = document.createElement('select');
    if (Array.isArray(p.enum)) {
      input.replaceChildren(option('', '(default)'), ...p.enum.map((v) => option(String(v), String(v))));
    } else {
      fillVoicePicker(input);
      extras.pickers.push(input);
    }
    input.addEventListener('change', mark);
  } else {
    input = document.createElement('input');
    input.type = 'text';
    input.autocomplete = 'off';
    if (p.maxLength) input.maxLength = p.maxLength;
    if (typeof p.default === 'string') input.value = p.default;
    input.addEventListener('input', mark);
  }
  input.id = id;
  div.append(input);
  control.read = () => (input.value === '' ? undefined : input.value);
  return { control, div, hint, input };
}

function booleanControl(name, p, label) {
  const { id, div, hint } = fieldShell(label, p.description);
  const input = document.createElement('input');
  input.type = 'checkbox';
  input.id = id;
  input.checked = p.default === true;
  const lab = div.querySelector('label');
  lab.className = 'check';
  lab.replaceChildren(input, ` ${label}`);
  const control = { name, changed: false, read: () => input.checked };
  input.addEventListener('change', () => (control.changed = true));
  return { control, div, hint, input };
}

function buildControl(name, raw) {
  const p = nonNull(raw);
  const label = p.title || name;
  if (p.type === 'number' || p.type === 'integer') return numberControl(name, p, label);
  if (p.type === 'boolean') return booleanControl(name, p, label);
  if (p.type === 'string') return stringControl(name, p, label);
  const items = p.items || {};
  const fixed = p.minItems === p.maxItems && p.minItems > 0 && p.minItems <= MAX_VECTOR;
  if (p.type === 'array' && fixed && ['number', 'integer'].includes(items.type)) return vectorControl(name, p, label);
  return null; // nothing the page knows how to offer: still settable through the API
}

// Builds the controls for `engine` (kept as they are while it stays selected, unless `fresh`),
// and refreshes the voice pickers among them.
function renderExtras(engine, voices, fresh = false) {
  extras.voices = voices;
  if (engine === extras.engine && !fresh) {
    extras.pickers.forEach(fillVoicePicker);
    return;
  }
  extras.engine = engine;
  extras.controls = [];
  extras.pickers = [];
  const card = state.engines.get(engine);
  const schema = card && card.extras;
  const fields = [];
  for (const [name, prop] of Object.entries((schema && schema.properties) || {})) {
    const built = buildControl(name, prop);
    if (!built) continue;
    if (built.hint) {
      built.div.append(built.hint);
      built.input.setAttribute('aria-describedby', built.hint.id);
    }
    extras.controls.push(built.control);
    fields.push(built.div);
  }
  $('#extras').replaceChildren(...fields);
  $('#extras-box').hidden = !fields.length;
}

// The values the person changed, by property name.
function chosenExtras() {
  const out = {};
  for (const c of extras.controls) {
    if (!c.changed) continue;
    const value = c.read();
    if (value !== undefined) out[c.name] = value;
  }
  return out;
}

// ---------------------------------------------------------------- playback sinks
// Each sink takes the response body chunk by chunk and ends with a Blob of the whole file.

function waitEvent(target, name) {
  return new Promise((resolve) => target.addEventListener(name, resolve, { once: true }));
}

// Resolves once the element knows the clip's duration, i.e. it has decoded the audio.
function whenPlayable(audio, format, timeoutMs = 10000) {
  const known = () => Number.isFinite(audio.duration) && audio.duration > 0;
  if (known()) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const cleanup = () => {
      clearTimeout(timer);
      audio.removeEventListener('durationchange', check);
      audio.removeEventListener('loadedmetadata', check);
      audio.removeEventListener('error', fail);
    };
    const check = () => {
      if (known()) {
        cleanup();
        resolve();
      }
    };
    const fail = () => {
      cleanup();
      reject(new Error(`This browser cannot play ${format} audio; the file is ready to download.`));
    };
    const timer = setTimeout(() => {
      cleanup();
      resolve(); // a slow decoder: the player catches up on its own
    }, timeoutMs);
    audio.addEventListener('durationchange', check);
    audio.addEventListener('loadedmetadata', check);
    audio.addEventListener('error', fail);
  });
}

// Points the player at a Blob or MediaSource (null: nothing), freeing the previous object URL.
function setPlayerSource(audio, object) {
  if (state.urls.player) URL.revokeObjectURL(state.urls.player);
  state.urls.player = object ? URL.createObjectURL(object) : null;
  if (object) {
    audio.src = state.urls.player;
  } else {
    audio.pause();
    audio.removeAttribute('src');
    audio.load();
  }
}

// MediaSource: the <audio> element plays as bytes arrive (mp3 and aac in Chromium).
class MediaSourceSink {
  constructor(audio, mime) {
    this.audio = audio;
    this.mime = mime;
    this.kind = 'mediasource';
    this.streaming = true;
    this.source = new MediaSource();
    this.opened = waitEvent(this.source, 'sourceopen');
    this.buffer = null;
    this.broken = false; // set when MSE refuses a chunk: the whole file plays at the end instead
    setPlayerSource(audio, this.source);
    // Called inside the click so autoplay rules allow it; playback starts with the first append.
    audio.play().catch(() => {});
  }

  async push(bytes) {
    if (this.broken) return;
    try {
      await this.opened;
      if (!this.buffer) {
        this.buffer = this.source.addSourceBuffer(this.mime);
        this.buffer.mode = 'sequence';
      }
      if (this.buffer.updating) await waitEvent(this.buffer, 'updateend');
      const done = waitEvent(this.buffer, 'updateend');
      this.buffer.appendBuffer(bytes);
      await done;
    } catch (_) {
      this.broken = true;
    }
  }

  async finish(parts) {
    const blob = new Blob(parts, { type: this.mime });
    if (!this.broken && this.buffer) {
      if (this.buffer.updating) await waitEvent(this.buffer, 'updateend');
      if (this.source.readyState === 'open') this.source.endOfStream();
    } else {
      setPlayerSource(this.audio, blob);
      this.audio.play().catch(() => {});
    }
    return { download: blob };
  }

  stop() {
    setPlayerSource(this.audio, null);
  }
}

function wavHeader(dataBytes, rate) {
  const h = new DataView(new ArrayBuffer(44));
  const text = (at, s) => [...s].forEach((c, i) => h.setUint8(at + i, c.charCodeAt(0)));
  text(0, 'RIFF');
  h.setUint32(4, 36 + dataBytes, true);
  text(8, 'WAVE');
  text(12, 'fmt ');
  h.setUint32(16, 16, true);
  h.setUint16(20, 1, true); // PCM
  h.setUint16(22, 1, true); // mono
  h.setUint32(24, rate, true);
  h.setUint32(28, rate * 2, true);
  h.setUint16(32, 2, true);
  h.setUint16(34, 16, true);
  text(36, 'data');
  h.setUint32(40, dataBytes, true);
  return h.buffer;
}

// Web Audio: 16-bit PCM (raw, or WAV after its header) scheduled chunk by chunk.
class PcmSink {
  constructor(audio, format, rate) {
    this.audio = audio;
    this.format = format;
    this.rate = rate;
    this.kind = 'webaudio';
    this.streaming = true;
    this.head = format === 'wav' ? new Uint8Array(0) : null; // WAV header bytes until parsed
    this.carry = null; // an odd trailing byte
    this.samples = []; // Int16Array pieces, for the playable file at the end
    setPlayerSource(audio, null);
    this.ctx = new AudioContext();
    this.ctx.resume().catch(() => {});
    this.at = 0; // when the last scheduled sample ends, on the context's clock
    // The <audio> element cannot show where Web Audio is: it stays hidden until the sound has
    // played, and the Stop button stands in for it meanwhile.
    this.playing = true;
    this.ending = null;
    audio.hidden = true;
  }

  parseHeader(bytes) {
    const all = new Uint8Array(this.head.length + bytes.length);
    all.set(this.head);
    all.set(bytes, this.head.length);
    const view = new DataView(all.buffer);
    let at = 12;
    while (at + 8 <= all.length) {
      const id = String.fromCharCode(...all.subarray(at, at + 4));
      const size = view.getUint32(at + 4, true);
      if (id === 'fmt ' && at + 16 <= all.length) this.rate = view.getUint32(at + 12, true);
      if (id === 'data') {
        this.head = null;
        return all.subarray(at + 8);
      }
      at += 8 + size;
    }
    this.head = all;
    return null;
  }

  async push(bytes) {
    if (this.head !== null) {
      bytes = this.parseHeader(bytes);
      if (!bytes) return;
    }
    if (this.carry) {
      const joined = new Uint8Array(bytes.length + 1);
      joined[0] = this.carry;
      joined.set(bytes, 1);
      bytes = joined;
      this.carry = null;
    }
    const n = Math.floor(bytes.length / 2);
    if (bytes.length % 2) this.carry = bytes[bytes.length - 1];
    if (!n) return;
    const pcm = new Int16Array(bytes.slice(0, n * 2).buffer); // slice: aligned copy
    this.samples.push(pcm);
    const floats = new Float32Array(n);
    for (let i = 0; i < n; i++) floats[i] = pcm[i] / 32768;
    const buffer = this.ctx.createBuffer(1, n, this.rate);
    buffer.copyToChannel(floats, 0);
    const node = this.ctx.createBufferSource();
    node.buffer = buffer;
    node.connect(this.ctx.destination);
    const when = Math.max(this.at, this.ctx.currentTime + 0.05);
    node.start(when);
    if (!this.at && this.onstart) this.onstart();
    this.at = when + buffer.duration;
  }

  async finish(parts) {
    const bytes = this.samples.reduce((sum, s) => sum + s.byteLength, 0);
    const playable = new Blob([wavHeader(bytes, this.rate), ...this.samples], { type: 'audio/wav' });
    // The element gets a complete WAV to replay or seek; Web Audio has played it already.
    setPlayerSource(this.audio, playable);
    const left = this.ctx.state === 'running' ? this.at - this.ctx.currentTime : 0;
    this.ending = setTimeout(() => this.stop(), Math.max(0, left) * 1000);
    return { download: this.format === 'wav' ? playable : new Blob(parts, { type: MIME.pcm }) };
  }

  stop() {
    clearTimeout(this.ending);
    this.ctx.close().catch(() => {});
    this.playing = false;
    this.audio.hidden = false;
    if (this.onend) this.onend();
  }
}

// Whole file: formats the browser cannot play while they arrive (e.g. Ogg Opus, FLAC).
class BlobSink {
  constructor(audio, mime) {
    this.audio = audio;
    this.mime = mime;
    this.kind = 'file';
    this.streaming = false;
    setPlayerSource(audio, null);
  }

  async push() {}

  async finish(parts) {
    const blob = new Blob(parts, { type: this.mime });
    setPlayerSource(this.audio, blob);
    this.audio.play().catch(() => {});
    return { download: blob };
  }

  stop() {
    setPlayerSource(this.audio, null);
  }
}

function makeSink(audio, format, rate) {
  const mime = MIME[format];
  if (window.MediaSource && MediaSource.isTypeSupported(mime)) return new MediaSourceSink(audio, mime);
  if ((format === 'pcm' || format === 'wav') && window.AudioContext) return new PcmSink(audio, format, rate);
  return new BlobSink(audio, format === 'pcm' ? MIME.pcm : mime);
}

// ---------------------------------------------------------------- speak

// Stops the request in progress and whatever the last one still plays.
function stopSpeech() {
  if (state.speech) state.speech.controller.abort();
  state.speech = null;
  if (state.lastSink) state.lastSink.stop();
}

async function speak(ev) {
  ev.preventDefault();
  const errorEl = $('#speak-error');
  const statusEl = $('#speak-status');
  showError(errorEl, '');
  const text = $('#text').value;
  if (!text.trim()) {
    showError(errorEl, 'Type some text to speak first.');
    return;
  }
  const settings = chosenSettings(errorEl);
  if (!settings) return;
  savePrefs();
  stopSpeech();
  const audio = $('#player');
  const card = state.engines.get(settings.model) || {};
  const t0 = performance.now();
  // Created now, inside the click, so the browser lets the audio play.
  const sink = makeSink(audio, settings.response_format, card.sample_rate || 24000);
  const controller = new AbortController();
  state.speech = { controller, sink };
  state.lastSink = sink;
  // Timings for the person (status line) and for tests (data-* on the player), in ms from the click.
  for (const k of ['ttfaMs', 'playingMs', 'completeMs', 'ready']) delete audio.dataset[k];
  audio.dataset.sink = sink.kind;
  const since = () => String(Math.round(performance.now() - t0));
  if (sink.kind === 'webaudio') {
    sink.onstart = () => (audio.dataset.playingMs = since());
    sink.onend = () => {
      if (state.lastSink === sink) $('#stop').hidden = true;
    };
  } else {
    if (state.onPlaying) audio.removeEventListener('playing', state.onPlaying);
    state.onPlaying = () => (audio.dataset.playingMs ||= since());
    audio.addEventListener('playing', state.onPlaying, { once: true });
  }
  setLink($('#download'), 'speech', null);
  $('#speak').disabled = true;
  $('#stop').hidden = false;
  setStatus(statusEl, 'Synthesising…');
  try {
    const resp = await api('v1/audio/speech', {
      method: 'POST',
      json: { ...settings, input: text, stream: true },
      signal: controller.signal,
    });
    const reader = resp.body.getReader();
    const parts = [];
    let first = null;
    for (;;) {
      let chunk;
      try {
        chunk = await reader.read();
      } catch (e) {
        if (e.name === 'AbortError') throw e;
        throw new Error('The audio stream broke off before the end; the server log says why.');
      }
      if (chunk.done) break;
      if (!chunk.value || !chunk.value.byteLength) continue;
      if (first === null) {
        first = (performance.now() - t0) / 1000;
        audio.dataset.ttfaMs = String(Math.round(first * 1000));
        setStatus(statusEl, sink.streaming ? `Playing: first audio after ${ms(first)}…` : 'Receiving…');
      }
      parts.push(chunk.value);
      await sink.push(chunk.value);
    }
    if (first === null) throw new Error('The server sent no audio.');
    audio.dataset.completeMs = since();
    const { download } = await sink.finish(parts);
    if (state.lastSink !== sink) return; // a newer Speak owns the page now
    const total = (performance.now() - t0) / 1000;
    const ext = settings.response_format;
    setLink($('#download'), 'speech', download, `clarion-${settings.voice}.${ext}`.replace(/[^\w.+-]/g, '_'));
    try {
      await whenPlayable(audio, ext);
    } catch (e) {
      showError(errorEl, describe(e));
    }
    if (state.lastSink !== sink) return;
    audio.dataset.ready = 'true';
    const when = sink.streaming ? 'Time to first audio' : 'First bytes';
    // Stop may come after the last byte, while the file is still being readied: it has the last word.
    if (controller.signal.aborted) setStatus(statusEl, 'Stopped.');
    else setStatus(statusEl, `${when}: ${ms(first)} · complete after ${ms(total)}.`);
  } catch (e) {
    if (state.lastSink !== sink) return; // stopped already, by the newer Speak
    sink.stop();
    if (e.name === 'AbortError') setStatus(statusEl, 'Stopped.');
    else showError(errorEl, describe(e));
  } finally {
    if (state.speech && state.speech.controller === controller) state.speech = null;
    if (state.lastSink === sink) {
      $('#speak').disabled = false;
      $('#stop').hidden = !sink.playing; // Web Audio may play on after the last byte
    }
  }
}

// ---------------------------------------------------------------- speak as I type
// WS /v1/audio/speech/stream: new words go to the server as they are typed (a word once the
// space after it is typed, the rest after a pause), and the audio plays through Web Audio as
// it arrives. Stop sends a cancel; the connection stays open for what is typed next.

const live = { ws: null, ready: false, sent: '', rate: 24000, sink: null, chunks: 0, idle: null };
const LIVE_IDLE_MS = 700;

const plural = (n, word) => `${n} ${word}${n === 1 ? '' : 's'}`;

function liveCount() {
  const status = $('#speak-status');
  status.dataset.chunks = String(live.chunks); // for tests
  setStatus(status, `Speaking as you type: ${plural(live.chunks, 'audio chunk')} received.`);
}

function startLive() {
  const errorEl = $('#speak-error');
  showError(errorEl, '');
  const settings = chosenSettings(errorEl);
  if (!settings) {
    $('#live').checked = false;
    return;
  }
  savePrefs();
  stopSpeech();
  const url = new URL('v1/audio/speech/stream', location.href);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  const ws = new WebSocket(url);
  ws.binaryType = 'arraybuffer';
  // Only what is typed from now on is spoken.
  Object.assign(live, { ws, ready: false, sent: $('#text').value, chunks: 0, cancelling: false });
  ws.onopen = () => {
    const key = storedKey(); // browsers cannot set headers on a WebSocket: the key goes in the settings
    const { model, voice, speed, seed, extras: changed } = settings;
    const more = { ...(seed !== undefined ? { seed } : {}), ...(changed ? { extras: changed } : {}) };
    ws.send(JSON.stringify({ model, voice, speed, ...more, ...(key ? { api_key: key } : {}) }));
  };
  ws.onmessage = (ev) => {
    if (typeof ev.data !== 'string') return playLive(ev.data);
    const msg = JSON.parse(ev.data);
    if (msg.type === 'ready') {
      Object.assign(live, { ready: true, rate: msg.sample_rate });
      setStatus($('#speak-status'), 'Speaking as you type: go ahead.');
      sendTyped();
    } else if (msg.type === 'cancelled') {
      live.cancelling = false;
      setStatus($('#speak-status'), `Stopped (${plural(msg.segments, 'unspoken piece')} dropped).`);
    } else if (msg.type === 'error') {
      showError(errorEl, msg.error.message);
    }
  };
  ws.onclose = () => {
    if (live.ws !== ws) return;
    const why = errorEl.hidden ? 'The connection closed; speak as I type is off.' : '';
    stopLive();
    if (why) setStatus($('#speak-status'), why);
  };
  $('#speak').disabled = true;
  $('#stop').hidden = false;
  setStatus($('#speak-status'), 'Connecting…');
}

function stopLive() {
  clearTimeout(live.idle);
  if (live.ws) live.ws.close();
  if (live.sink) live.sink.stop();
  Object.assign(live, { ws: null, ready: false, sink: null });
  $('#live').checked = false;
  $('#speak').disabled = false;
  $('#stop').hidden = true;
  setStatus($('#speak-status'), '');
}

// Sends the words typed since the last send; the word being typed waits for its space,
// unless ``all`` (after a pause).
function sendTyped(all = false) {
  if (!live.ready) return;
  const text = $('#text').value;
  if (!text.startsWith(live.sent)) {
    live.sent = text; // an edit of what was sent: it is not spoken again
    return;
  }
  const fresh = text.slice(live.sent.length);
  const words = all ? fresh : fresh.slice(0, fresh.length - fresh.match(/\S*$/)[0].length);
  if (!words) return;
  live.ws.send(JSON.stringify({ type: 'text', text: words }));
  live.sent += words;
}

function typed() {
  if (!live.ws) return;
  sendTyped();
  clearTimeout(live.idle);
  live.idle = setTimeout(() => sendTyped(true), LIVE_IDLE_MS);
}

async function playLive(data) {
  if (live.cancelling) return; // sent before the server saw the cancel
  if (!live.sink) live.sink = new PcmSink($('#player'), 'pcm', live.rate);
  live.chunks += 1;
  liveCount();
  await live.sink.push(new Uint8Array(data));
}

function cancelLive() {
  live.ws.send(JSON.stringify({ type: 'cancel' }));
  live.cancelling = true;
  live.sent = $('#text').value; // nothing typed so far is spoken after a Stop
  clearTimeout(live.idle);
  if (live.sink) live.sink.stop();
  live.sink = null;
  setStatus($('#speak-status'), 'Stopped.');
}

// ---------------------------------------------------------------- normaliser preview

async function preview() {
  const errorEl = $('#speak-error');
  showError(errorEl, '');
  const text = $('#text').value;
  if (!text.trim()) {
    showError(errorEl, 'Type some text to preview first.');
    return;
  }
  try {
    const resp = await api('v1/text/normalize', {
      method: 'POST',
      json: { input: text, model: $('#engine').value || null },
    });
    const result = await resp.json();
    $('#normalized').textContent = result.normalized;
    $('#segments').replaceChildren(
      ...result.segments.map((s) => {
        const li = document.createElement('li');
        li.lang = s.language;
        const tag = document.createElement('span');
        tag.className = 'lang';
        tag.textContent = s.language;
        li.append(tag, ' ', s.text);
        return li;
      }),
    );
    $('#rules').textContent = result.rules.length ? `Rules applied: ${result.rules.join(', ')}` : 'No rules applied.';
    $('#preview-box').hidden = false;
  } catch (e) {
    showError(errorEl, describe(e));
  }
}

// ---------------------------------------------------------------- batch

function sleep(millis) {
  return new Promise((resolve) => setTimeout(resolve, millis));
}

async function runBatch(ev) {
  ev.preventDefault();
  const errorEl = $('#batch-error');
  const statusEl = $('#batch-status');
  const progress = $('#batch-progress');
  showError(errorEl, '');
  const lines = $('#batch-lines').value.split('\n').map((l) => l.trim()).filter(Boolean);
  if (!lines.length) {
    showError(errorEl, 'Type at least one line: each line becomes one file in the zip.');
    return;
  }
  const settings = chosenSettings(errorEl);
  if (!settings) return;
  savePrefs();
  const link = $('#batch-download');
  setLink(link, 'batch', null);
  $('#batch-run').disabled = true;
  progress.hidden = false;
  progress.max = lines.length;
  progress.value = 0;
  setStatus(statusEl, `Synthesising ${lines.length} item${lines.length === 1 ? '' : 's'}…`);
  try {
    let resp;
    try {
      resp = await api('v1/audio/speech/batch', {
        method: 'POST',
        json: { ...settings, items: lines.map((input) => ({ input })) },
      });
    } catch (e) {
      if (missingRoute(e)) throw new Error('This server does not run batch jobs.');
      throw e;
    }
    let zip;
    let summary = `${lines.length} item${lines.length === 1 ? '' : 's'}`;
    if (resp.status === 202) {
      const job = await resp.json();
      const done = await followJob(job, progress, statusEl);
      summary = `${done.done} of ${done.total} items`;
      if (done.failed) summary += ` (${done.failed} failed: ${done.firstError})`;
      zip = await (await api(`v1/audio/speech/batch/${encodeURIComponent(job.id)}/download`)).blob();
    } else {
      zip = await resp.blob();
      progress.value = lines.length;
    }
    setLink(link, 'batch', zip, 'clarion-batch.zip');
    setStatus(statusEl, `Ready: ${summary}, ${(zip.size / 1024).toFixed(0)} KiB. Use “Download zip”.`);
  } catch (e) {
    progress.hidden = true;
    showError(errorEl, describe(e));
  } finally {
    $('#batch-run').disabled = false;
  }
}

function reason(error) {
  if (!error) return '';
  if (typeof error === 'string') return error;
  return error.message || '';
}

// Polls a batch job (queued -> running -> done, or failed) until it ends.
async function followJob(job, progress, statusEl) {
  let current = job;
  for (;;) {
    const total = current.total || 0;
    const finished = (current.done || 0) + (current.failed || 0);
    progress.max = Math.max(total, 1);
    progress.value = finished;
    setStatus(statusEl, `Batch ${current.status}: ${finished} of ${total} items…`);
    if (current.status === 'failed') throw new Error(`The batch stopped: ${reason(current.error) || 'no reason given'}`);
    if (current.status === 'done') {
      const first = current.errors && current.errors.length ? reason(current.errors[0]) : '';
      if (!current.done) throw new Error(`Every item of the batch failed${first ? `: ${first}` : '.'}`);
      return { ...current, firstError: first };
    }
    await sleep(BATCH_POLL_MS);
    current = await (await api(`v1/audio/speech/batch/${encodeURIComponent(job.id)}`)).json();
  }
}

// ---------------------------------------------------------------- voice uploads

const VOICE_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

async function loadUploaded() {
  try {
    const resp = await api('v1/audio/voices/uploaded');
    state.uploadsRoute = true;
    state.uploaded = (await resp.json()).voices || [];
  } catch (e) {
    if (!missingRoute(e)) throw e;
    state.uploadsRoute = false;
    state.uploaded = [];
  }
  renderUploaded();
}

function renderUploaded() {
  const list = $('#uploaded');
  const empty = $('#uploaded-empty');
  if (state.uploadsRoute === false) {
    empty.textContent = 'This server does not keep uploaded voices.';
  } else {
    empty.textContent = 'None yet.';
  }
  empty.hidden = state.uploaded.length > 0;
  list.replaceChildren(
    ...state.uploaded.map((v) => {
      const li = document.createElement('li');
      const name = document.createElement('span');
      name.className = 'name';
      name.textContent = v.name || v.id;
      const about = document.createElement('span');
      about.className = 'hint';
      const facts = [];
      if (typeof v.duration_s === 'number') facts.push(`${v.duration_s.toFixed(1)} s`);
      if (v.sample_rate) facts.push(`${v.sample_rate} Hz`);
      about.textContent = facts.join(' · ');
      const remove = document.createElement('button');
      remove.type = 'button';
      remove.textContent = 'Delete';
      remove.setAttribute('aria-label', `Delete voice ${v.name || v.id}`);
      remove.addEventListener('click', () => deleteVoice(v.name || v.id));
      li.append(name, ' ', about, ' ', remove);
      return li;
    }),
  );
}

async function upload(ev) {
  ev.preventDefault();
  const errorEl = $('#upload-error');
  const statusEl = $('#upload-status');
  showError(errorEl, '');
  const name = $('#upload-name').value.trim();
  const file = $('#upload-file').files[0];
  if (!VOICE_NAME.test(name)) {
    showError(errorEl, 'A voice name is 1 to 64 letters, digits, “_” or “-”, starting with a letter or digit.');
    return;
  }
  if (!file) {
    showError(errorEl, 'Choose a reference clip to upload.');
    return;
  }
  const form = new FormData();
  form.append('name', name);
  form.append('file', file, file.name);
  const transcript = $('#upload-transcript').value.trim();
  if (transcript) form.append('transcript', transcript);
  $('#upload').disabled = true;
  setStatus(statusEl, 'Uploading and checking the clip…');
  try {
    let resp;
    try {
      resp = await api('v1/audio/voices', { method: 'POST', form });
    } catch (e) {
      if (missingRoute(e)) throw new Error('This server does not accept voice uploads.');
      throw e;
    }
    const voice = await resp.json();
    const facts = [];
    if (typeof voice.duration_s === 'number') facts.push(`${voice.duration_s.toFixed(1)} s`);
    if (voice.sample_rate) facts.push(`${voice.sample_rate} Hz`);
    setStatus(statusEl, `Uploaded “${voice.name || name}”${facts.length ? ` (${facts.join(', ')})` : ''}.`);
    $('#upload-form').reset();
    await loadUploaded();
    await loadVoices();
  } catch (e) {
    showError(errorEl, describe(e));
  } finally {
    $('#upload').disabled = false;
  }
}

async function deleteVoice(name) {
  const errorEl = $('#upload-error');
  showError(errorEl, '');
  try {
    await api(`v1/audio/voices/${encodeURIComponent(name)}`, { method: 'DELETE' });
    setStatus($('#upload-status'), `Deleted “${name}”.`);
    await loadUploaded();
    await loadVoices();
  } catch (e) {
    showError(errorEl, describe(e));
  }
}

// ---------------------------------------------------------------- live panel

function stopStats() {
  clearTimeout(state.statsTimer);
  state.statsTimer = null;
}

function scheduleStats(delay = STATS_EVERY_MS) {
  stopStats();
  state.statsTimer = setTimeout(pollStats, delay);
}

async function pollStats() {
  if (document.hidden) {
    scheduleStats();
    return;
  }
  const note = $('#stats-note');
  try {
    const health = await fetch('health/ready', { cache: 'no-store' });
    const body = await health.json().catch(() => ({}));
    const pill = $('#server-state');
    pill.textContent = body.status || (health.ok ? 'ready' : 'not ready');
    pill.dataset.state = health.ok ? 'ok' : 'bad';
  } catch (_) {
    $('#server-state').textContent = 'unreachable';
    $('#server-state').dataset.state = 'bad';
  }
  if (state.statsMissing || (state.needsKey && !storedKey())) {
    if (!state.statsMissing) note.textContent = 'Sign in to see live statistics.';
    scheduleStats(STATS_EVERY_MS * 5); // the readiness pill still updates
    return;
  }
  try {
    const stats = await (await api('v1/stats')).json();
    const engines = Object.entries(stats.engines || {});
    const sum = (field) => engines.reduce((n, [, e]) => n + (e[field] || 0), 0);
    $('#stat-queue').textContent = String(sum('queue_depth'));
    $('#stat-inflight').textContent = String(sum('in_flight'));
    $('#stat-ttfa-p50').textContent = ms(stats.ttfa_p50_s);
    $('#stat-ttfa-p95').textContent = ms(stats.ttfa_p95_s);
    $('#stat-rtf').textContent = stats.rtf_p50 === null || stats.rtf_p50 === undefined ? '–' : stats.rtf_p50.toFixed(3);
    $('#stat-requests').textContent = String(stats.requests ?? '–');
    $('#stat-engines tbody').replaceChildren(
      ...engines.map(([name, e]) => {
        const tr = document.createElement('tr');
        for (const value of [name, e.queue_depth, e.in_flight, e.workers]) {
          const td = document.createElement('td');
          td.textContent = String(value ?? '–');
          tr.append(td);
        }
        return tr;
      }),
    );
    note.textContent = `Last ${Math.round((stats.window_s || 300) / 60)} minutes; updated ${new Date().toLocaleTimeString()}.`;
    scheduleStats();
  } catch (e) {
    if (missingRoute(e)) {
      state.statsMissing = true;
      note.textContent = 'This server has no live statistics (/v1/stats).';
      scheduleStats(STATS_EVERY_MS * 5);
    } else if (e.status === 401) {
      note.textContent = 'Sign in to see live statistics.';
    } else {
      note.textContent = describe(e);
      scheduleStats(STATS_EVERY_MS * 3);
    }
  }
}

// ---------------------------------------------------------------- tabs

function selectTab(tab) {
  for (const t of document.querySelectorAll('[role="tab"]')) {
    const on = t === tab;
    t.setAttribute('aria-selected', String(on));
    t.tabIndex = on ? 0 : -1;
    document.getElementById(t.getAttribute('aria-controls')).hidden = !on;
  }
}

function tabKeys(ev) {
  const tabs = [...document.querySelectorAll('[role="tab"]')];
  const i = tabs.indexOf(ev.target);
  if (i < 0) return;
  let next = null;
  if (ev.key === 'ArrowRight') next = tabs[(i + 1) % tabs.length];
  if (ev.key === 'ArrowLeft') next = tabs[(i - 1 + tabs.length) % tabs.length];
  if (ev.key === 'Home') next = tabs[0];
  if (ev.key === 'End') next = tabs[tabs.length - 1];
  if (next) {
    ev.preventDefault();
    selectTab(next);
    next.focus();
  }
}

// ---------------------------------------------------------------- start

async function start() {
  const errorEl = $('#speak-error');
  showError(errorEl, '');
  state.statsMissing = false;
  showError($('#upload-error'), '');
  if (state.needsKey && !storedKey()) {
    showLogin(''); // before any API call, which would only be refused
  } else {
    try {
      // The voice picker lists uploaded voices too; without them it still works.
      await loadUploaded().catch((e) => {
        if (e.status === 401) throw e;
        showError($('#upload-error'), describe(e));
      });
      await loadEngines();
    } catch (e) {
      if (e.status !== 401) showError(errorEl, describe(e));
    }
  }
  pollStats(); // readiness is open to all; the statistics wait for a key if one is needed
}

function wire() {
  $('#speak-form').addEventListener('submit', speak);
  $('#stop').addEventListener('click', () => {
    if (live.ws) return cancelLive();
    stopSpeech();
    setStatus($('#speak-status'), 'Stopped.');
  });
  $('#live').addEventListener('change', () => ($('#live').checked ? startLive() : stopLive()));
  $('#text').addEventListener('input', typed);
  $('#preview').addEventListener('click', preview);
  $('#batch-form').addEventListener('submit', runBatch);
  $('#upload-form').addEventListener('submit', upload);
  $('#login-form').addEventListener('submit', signIn);
  $('#sign-in').addEventListener('click', () => showLogin(''));
  $('#sign-out').addEventListener('click', signOut);
  $('#engine').addEventListener('change', () => {
    loadVoices().catch((e) => showError($('#speak-error'), describe(e)));
    savePrefs();
  });
  $('#voice').addEventListener('change', () => {
    toggleCustomVoice();
    savePrefs();
  });
  $('#format').addEventListener('change', savePrefs);
  $('#extras-reset').addEventListener('click', () => renderExtras($('#engine').value, extras.voices, true));
  $('#go-upload').addEventListener('click', () => {
    selectTab($('#tab-voices'));
    $('#upload-name').focus();
  });
  for (const tab of document.querySelectorAll('[role="tab"]')) {
    tab.addEventListener('click', () => selectTab(tab));
    tab.addEventListener('keydown', tabKeys);
  }
  for (const a of [$('#download'), $('#batch-download')]) {
    a.addEventListener('click', (ev) => {
      if (a.getAttribute('aria-disabled') === 'true') ev.preventDefault();
    });
  }
  $('#login').addEventListener('close', updateAuthButtons);
  document.addEventListener('visibilitychange', () => {
    if (!document.hidden && storedKeyOrOpen()) scheduleStats(0);
  });
  updateAuthButtons();
}

function storedKeyOrOpen() {
  return !state.needsKey || Boolean(storedKey());
}

wire();
start();
