import { drawTrafficChart, drawVerdictChart, formatCount } from './charts.js';
import { openEventStream } from './event-stream.js';

const MAX_SAMPLES = 600;
const CHART_WINDOW_MS = 120_000;
const MAX_VERDICT_ROWS = 50;
const MAX_DECISION_ROWS = 100;
const STATUS_REFRESH_MS = 5000;
const TOKEN_KEY = 'flowguard.apiToken';
const PROTOCOLS = { 1: 'ICMP', 6: 'TCP', 17: 'UDP', 58: 'ICMPv6' };

const style = getComputedStyle(document.documentElement);
const colors = {
  attack: style.getPropertyValue('--attack').trim(),
  benign: style.getPropertyValue('--benign').trim(),
  bytes: style.getPropertyValue('--bytes').trim(),
  packets: style.getPropertyValue('--packets').trim(),
};

const state = {
  token: sessionStorage.getItem(TOKEN_KEY) ?? '',
  samples: [],
  blocks: [],
  verdicts: [],
  verdictsSkipped: 0,
  redrawQueued: false,
  blocksRefresh: undefined,
};

const $ = (id) => document.getElementById(id);

function authHeaders() {
  return state.token ? { authorization: `Bearer ${state.token}` } : {};
}

async function getJson(path) {
  const response = await fetch(path, { headers: authHeaders(), cache: 'no-store' });
  const body = await response.json();
  return { response, body };
}

function showMessage(text, isError = false) {
  const element = $('action-message');
  element.textContent = text;
  element.classList.toggle('error', isError);
}

function formatRemaining(ms) {
  if (ms <= 0) return 'ending';
  const seconds = Math.ceil(ms / 1000);
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  if (h > 0) return `${h}h ${String(m).padStart(2, '0')}m`;
  if (m > 0) return `${m}m ${String(s).padStart(2, '0')}s`;
  return `${s}s`;
}

function formatTime(ms) {
  return new Date(ms).toLocaleTimeString([], { hour12: false });
}

function cell(row, text, className) {
  const td = row.insertCell();
  td.textContent = text;
  if (className) td.className = className;
  return td;
}

// ---- Health and totals ----

async function refreshHealth() {
  const badge = $('health');
  try {
    const { body } = await getJson('/health');
    badge.textContent = `health: ${body.status}`;
    badge.className = `badge ${body.status}`;
    badge.title = body.reasons.join('\n');
  } catch {
    badge.textContent = 'health: unreachable';
    badge.className = 'badge down';
  }
}

async function refreshStats() {
  const { response, body } = await getJson('/stats');
  if (!response.ok) return;
  $('stat-packets').textContent = formatCount(body.packets);
  $('stat-flows').textContent = formatCount(body.flows);
  $('stat-attack').textContent = formatCount(body.verdicts.attack);
  $('stat-benign').textContent = formatCount(body.verdicts.benign);
  $('stat-blocks').textContent = formatCount(body.activeBlocks);
  $('stat-capture-drops').textContent = formatCount(body.captureDrops);
}

// ---- Blocks ----

async function refreshBlocks() {
  const { response, body } = await getJson('/blocks?state=active&limit=200');
  if (!response.ok) {
    showMessage(body.message, true);
    return;
  }
  state.blocks = body.items;
  $('blocks-count').textContent = body.total > body.items.length ? `(${body.items.length} of ${body.total})` : `(${body.total})`;
  renderBlocks();
}

/** Coalesces bursts of decisions into one reload of the block list. */
function scheduleBlocksRefresh() {
  if (state.blocksRefresh) return;
  state.blocksRefresh = setTimeout(() => {
    state.blocksRefresh = undefined;
    refreshBlocks().catch(() => undefined);
  }, 200);
}

function renderBlocks() {
  const tbody = $('blocks').tBodies[0];
  tbody.replaceChildren();
  const now = Date.now();
  for (const block of state.blocks) {
    const row = tbody.insertRow();
    row.dataset.target = block.target;
    cell(row, block.target, 'target');
    cell(row, block.origin);
    cell(row, block.reason, 'reason');
    cell(row, String(block.escalationLevel ?? 0));
    const remaining = cell(row, formatRemaining(block.expiresAtMs - now), 'remaining');
    remaining.dataset.expiresAtMs = String(block.expiresAtMs);
    const button = document.createElement('button');
    button.className = 'unblock';
    button.textContent = 'Unblock';
    button.addEventListener('click', () => unblock(block.target, button));
    row.insertCell().append(button);
  }
  $('blocks-empty').hidden = state.blocks.length > 0;
}

function tickRemaining() {
  const now = Date.now();
  for (const td of document.querySelectorAll('#blocks td.remaining')) {
    td.textContent = formatRemaining(Number(td.dataset.expiresAtMs) - now);
  }
}

async function unblock(target, button) {
  if (!state.token) {
    showMessage('Enter the API token at the top right to unblock.', true);
    $('token').focus();
    return;
  }
  button.disabled = true;
  const grace = $('grace').value;
  const query = grace ? `?grace=${encodeURIComponent(grace)}` : '';
  const response = await fetch(`/blocks/${encodeURIComponent(target)}${query}`, { method: 'DELETE', headers: authHeaders() });
  const body = await response.json();
  if (response.ok) {
    showMessage(grace ? `Unblocked ${target}; the policy will not block it again for ${grace}.` : `Unblocked ${target}.`);
    state.blocks = state.blocks.filter((block) => block.target !== target);
    renderBlocks();
  } else {
    showMessage(body.message, true);
    button.disabled = false;
  }
  scheduleBlocksRefresh();
}

// ---- Verdicts, decisions and traffic ----

function renderVerdicts() {
  const tbody = $('verdicts').tBodies[0];
  tbody.replaceChildren();
  for (const verdict of state.verdicts) {
    const row = tbody.insertRow();
    row.className = verdict.label;
    cell(row, formatTime(verdict.scoredAtMs));
    cell(row, verdict.srcAddr);
    cell(row, `${verdict.dstAddr}:${verdict.dstPort}`);
    cell(row, PROTOCOLS[verdict.protocol] ?? String(verdict.protocol));
    cell(row, verdict.probability.toFixed(3));
    cell(row, verdict.label, 'label');
  }
  $('verdicts-note').textContent = state.verdictsSkipped > 0 ? `(sampled: ${formatCount(state.verdictsSkipped)} not shown in the last second)` : '';
}

function decisionItem(decision) {
  const item = document.createElement('li');
  item.className = decision.action;
  const detail = decision.action === 'block' ? ` for ${formatRemaining(decision.durationMs)}` : '';
  item.textContent = `${formatTime(decision.atMs)} ${decision.action} ${decision.target}${detail} (${decision.origin}, ${decision.actor}): ${decision.reason}`;
  return item;
}

function addDecision(decision) {
  const list = $('decisions');
  list.prepend(decisionItem(decision));
  while (list.children.length > MAX_DECISION_ROWS) list.lastElementChild.remove();
}

function redrawCharts() {
  drawVerdictChart($('verdict-chart'), state.samples, colors);
  drawTrafficChart($('traffic-chart'), state.samples, colors);
}

/** Batches redraws of charts and the verdict table to one per animation frame. */
function queueRedraw() {
  if (state.redrawQueued) return;
  state.redrawQueued = true;
  requestAnimationFrame(() => {
    state.redrawQueued = false;
    redrawCharts();
    renderVerdicts();
  });
}

/** Turns a traffic sample's totals into per-second rates over the time it covers. */
function toRates(sample, previous) {
  const intervalMs = previous ? Math.max(1, Math.min(10_000, sample.atMs - previous.atMs)) : 1000;
  const perSecond = 1000 / intervalMs;
  return {
    atMs: sample.atMs,
    intervalMs,
    attackRate: sample.attackFlows * perSecond,
    benignRate: sample.benignFlows * perSecond,
    byteRate: sample.bytes * perSecond,
    packetRate: sample.packets * perSecond,
  };
}

function onEvent(name, data) {
  if (name === 'traffic') {
    state.samples.push(toRates(data, state.samples[state.samples.length - 1]));
    while (state.samples.length > MAX_SAMPLES || (state.samples.length > 0 && state.samples[0].atMs < data.atMs - CHART_WINDOW_MS)) {
      state.samples.shift();
    }
    state.verdictsSkipped = data.verdictsSkipped ?? 0;
    queueRedraw();
    refreshStats().catch(() => undefined);
  } else if (name === 'verdict') {
    state.verdicts.unshift(data);
    if (state.verdicts.length > MAX_VERDICT_ROWS) state.verdicts.length = MAX_VERDICT_ROWS;
    queueRedraw();
  } else if (name === 'decision') {
    addDecision(data);
    if (data.action !== 'skip') scheduleBlocksRefresh();
  } else if (name === 'guard') {
    addDecision({ action: 'skip', atMs: data.atMs, target: data.target ?? '-', origin: 'guard', actor: data.guard, reason: data.message });
  }
}

function onStreamState(streamState) {
  const badge = $('connection');
  const text = { live: 'live stream: connected', reconnecting: 'live stream: reconnecting', unauthorized: 'live stream: token needed' }[streamState];
  badge.textContent = text;
  badge.className = `badge ${streamState === 'live' ? 'ok' : 'degraded'}`;
}

// ---- Start ----

let stream;

function startStream() {
  stream?.stop();
  stream = openEventStream('/events', authHeaders, onEvent, onStreamState);
}

$('token').value = state.token;
$('token-form').addEventListener('submit', (event) => {
  event.preventDefault();
  state.token = $('token').value.trim();
  if (state.token) sessionStorage.setItem(TOKEN_KEY, state.token);
  else sessionStorage.removeItem(TOKEN_KEY);
  showMessage(state.token ? 'Token set for this tab.' : 'Token cleared.');
  startStream();
  refreshAll();
});

async function refreshAll() {
  await Promise.allSettled([refreshHealth(), refreshStats(), refreshBlocks(), loadRecentVerdicts(), loadRecentDecisions()]);
}

/** Shows the decisions made before the page opened. The live stream adds later ones on top. */
async function loadRecentDecisions() {
  const { response, body } = await getJson(`/decisions?limit=${MAX_DECISION_ROWS}`);
  if (!response.ok) return;
  $('decisions').replaceChildren(...body.items.map(decisionItem));
}

async function loadRecentVerdicts() {
  const { response, body } = await getJson(`/verdicts?limit=${MAX_VERDICT_ROWS}`);
  if (!response.ok) return;
  state.verdicts = body.items;
  renderVerdicts();
}

window.addEventListener('resize', queueRedraw);
setInterval(tickRemaining, 1000);
setInterval(() => {
  refreshHealth();
  refreshStats().catch(() => undefined);
}, STATUS_REFRESH_MS);
redrawCharts();
startStream();
refreshAll();
