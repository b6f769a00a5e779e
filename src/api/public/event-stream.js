// Reads the Server-Sent Events stream with fetch() instead of EventSource, because EventSource
// cannot send the Authorization header that the stream needs when reads require a token.

const RECONNECT_MS = 3000;

/**
 * Connects to `url`, calls `onEvent(name, data)` for every event with parsed JSON data and
 * `onState('live' | 'reconnecting' | 'unauthorized')` on changes; reconnects until `stop()`.
 */
export function openEventStream(url, headers, onEvent, onState) {
  const controller = new AbortController();
  let stopped = false;

  async function connect() {
    while (!stopped) {
      let unauthorized = false;
      try {
        const response = await fetch(url, { headers: headers(), signal: controller.signal, cache: 'no-store' });
        if (response.status === 401 || response.status === 403) {
          unauthorized = true;
          onState('unauthorized');
        } else if (response.ok && response.body) {
          onState('live');
          await readEvents(response.body, onEvent);
        }
      } catch {
        if (stopped) return;
      }
      if (stopped) return;
      if (!unauthorized) onState('reconnecting');
      await new Promise((resolve) => setTimeout(resolve, RECONNECT_MS));
    }
  }

  connect();
  return {
    stop() {
      stopped = true;
      controller.abort();
    },
  };
}

async function readEvents(body, onEvent) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let name = 'message';
      const data = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event: ')) name = line.slice(7);
        else if (line.startsWith('data: ')) data.push(line.slice(6));
      }
      if (data.length > 0) onEvent(name, JSON.parse(data.join('\n')));
    }
  }
}
