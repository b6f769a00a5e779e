// Hand-drawn canvas charts for the dashboard: no chart library, so nothing to build or vendor.

const AXIS_COLOR = '#6b7385';
const GRID_COLOR = '#e6e9ef';
const FONT = '11px system-ui, sans-serif';
const PADDING = { left: 56, right: 56, top: 10, bottom: 22 };

/** Sizes the canvas backing store to its CSS size times the device pixel ratio. */
function prepare(canvas) {
  const ratio = window.devicePixelRatio || 1;
  const width = canvas.clientWidth;
  const height = canvas.clientHeight;
  if (canvas.width !== Math.round(width * ratio) || canvas.height !== Math.round(height * ratio)) {
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
  }
  const context = canvas.getContext('2d');
  context.setTransform(ratio, 0, 0, ratio, 0, 0);
  context.clearRect(0, 0, width, height);
  context.font = FONT;
  return { context, width, height };
}

/** Rounds a maximum up to 1, 2 or 5 times a power of ten, so the axis labels read well. */
function niceMax(value) {
  if (value <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (value <= step * power) return step * power;
  return 10 * power;
}

/** Formats a number with k, M and G suffixes. */
export function formatCount(value) {
  const abs = Math.abs(value);
  if (abs >= 1e9) return `${(value / 1e9).toFixed(1)}G`;
  if (abs >= 1e6) return `${(value / 1e6).toFixed(1)}M`;
  if (abs >= 1e4) return `${(value / 1e3).toFixed(0)}k`;
  if (abs >= 1e3) return `${(value / 1e3).toFixed(1)}k`;
  return String(Math.round(value));
}

function drawGrid(context, plot, max, side, color, format) {
  context.strokeStyle = GRID_COLOR;
  context.fillStyle = color;
  context.lineWidth = 1;
  context.textBaseline = 'middle';
  context.textAlign = side === 'left' ? 'right' : 'left';
  for (let i = 0; i <= 4; i++) {
    const y = plot.top + plot.height - (plot.height * i) / 4;
    if (side === 'left') {
      context.beginPath();
      context.moveTo(plot.left, Math.round(y) + 0.5);
      context.lineTo(plot.left + plot.width, Math.round(y) + 0.5);
      context.stroke();
    }
    const x = side === 'left' ? plot.left - 6 : plot.left + plot.width + 6;
    context.fillText(format((max * i) / 4), x, y);
  }
}

function drawTimeAxis(context, plot) {
  context.fillStyle = AXIS_COLOR;
  context.textBaseline = 'top';
  for (const secondsAgo of [120, 90, 60, 30, 0]) {
    const x = plot.left + plot.width - (secondsAgo / 120) * plot.width;
    context.textAlign = secondsAgo === 0 ? 'right' : 'center';
    context.fillText(secondsAgo === 0 ? 'now' : `-${secondsAgo}s`, x, plot.top + plot.height + 6);
  }
}

function plotArea(width, height) {
  return {
    left: PADDING.left,
    top: PADDING.top,
    width: Math.max(10, width - PADDING.left - PADDING.right),
    height: Math.max(10, height - PADDING.top - PADDING.bottom),
  };
}

const WINDOW_MS = 120_000;

/** x of a sample's time, with the newest sample at the right edge. */
function timeToX(plot, newestMs, atMs) {
  return plot.left + plot.width - ((newestMs - atMs) / WINDOW_MS) * plot.width;
}

/**
 * Draws stacked bars of attack and benign flows per second over the last 120 s. Samples carry
 * rates (`attackRate`, `benignRate`, per second) and `intervalMs`, the time each one covers.
 */
export function drawVerdictChart(canvas, samples, colors) {
  const { context, width, height } = prepare(canvas);
  const plot = plotArea(width, height);
  const max = niceMax(Math.max(1, ...samples.map((s) => s.attackRate + s.benignRate)));
  drawGrid(context, plot, max, 'left', AXIS_COLOR, formatCount);
  drawTimeAxis(context, plot);
  const newestMs = samples.length > 0 ? samples[samples.length - 1].atMs : 0;
  const bottom = plot.top + plot.height;
  for (const sample of samples) {
    const right = timeToX(plot, newestMs, sample.atMs);
    const barWidth = Math.max(1, (sample.intervalMs / WINDOW_MS) * plot.width - 1);
    if (right - barWidth < plot.left) continue;
    const benignHeight = (sample.benignRate / max) * plot.height;
    const attackHeight = (sample.attackRate / max) * plot.height;
    context.fillStyle = colors.benign;
    context.fillRect(right - barWidth, bottom - benignHeight, barWidth, benignHeight);
    context.fillStyle = colors.attack;
    context.fillRect(right - barWidth, bottom - benignHeight - attackHeight, barWidth, attackHeight);
  }
  canvas.dataset.samples = String(samples.length);
}

function drawLine(context, plot, samples, value, max, color) {
  const newestMs = samples.length > 0 ? samples[samples.length - 1].atMs : 0;
  context.strokeStyle = color;
  context.lineWidth = 2;
  context.beginPath();
  let started = false;
  for (const sample of samples) {
    const x = timeToX(plot, newestMs, sample.atMs - sample.intervalMs / 2);
    if (x < plot.left) continue;
    const y = plot.top + plot.height - (value(sample) / max) * plot.height;
    if (started) context.lineTo(x, y);
    else context.moveTo(x, y);
    started = true;
  }
  context.stroke();
}

/** Draws bytes/s (left axis) and packets/s (right axis) over the last 120 s. */
export function drawTrafficChart(canvas, samples, colors) {
  const { context, width, height } = prepare(canvas);
  const plot = plotArea(width, height);
  const maxBytes = niceMax(Math.max(1, ...samples.map((s) => s.byteRate)));
  const maxPackets = niceMax(Math.max(1, ...samples.map((s) => s.packetRate)));
  drawGrid(context, plot, maxBytes, 'left', colors.bytes, (v) => `${formatCount(v)}B`);
  drawGrid(context, plot, maxPackets, 'right', colors.packets, formatCount);
  drawTimeAxis(context, plot);
  drawLine(context, plot, samples, (s) => s.byteRate, maxBytes, colors.bytes);
  drawLine(context, plot, samples, (s) => s.packetRate, maxPackets, colors.packets);
  canvas.dataset.samples = String(samples.length);
}
