/**
 * Text forms shared by the CSV and JSON-lines writers.
 */

/** Formats a feature value: shortest round-trip decimal, and `Infinity`/`NaN` as Java printed them. */
export function formatFeature(value: number): string {
  if (Number.isFinite(value)) return String(value);
  if (Number.isNaN(value)) return 'NaN';
  return value > 0 ? 'Infinity' : '-Infinity';
}

/** Formats µs since the Unix epoch as ISO 8601 UTC with six fraction digits, e.g. `2017-07-05T11:46:12.897241Z`. */
export function formatTimestampUs(timestampUs: number): string {
  const milliseconds = Math.floor(timestampUs / 1000);
  const iso = new Date(milliseconds).toISOString();
  const micros = String(Math.floor(timestampUs - milliseconds * 1000)).padStart(3, '0');
  return `${iso.slice(0, 23)}${micros}Z`;
}
