// The server's event stream read with fetch rather than an EventSource, so that the API token goes
// in the Authorization header: an EventSource can send no header, and a token in the address is
// kept by proxies' logs and shown in the browser's network panel. It reads the server-sent events
// format as an EventSource does and behaves like one: after a dropped connection it tries again
// after `retry` (3 s unless the server says otherwise), resuming after the last event id it got
// (Last-Event-ID); an answer that is not an event stream (404 from a server without one, 401, 403)
// closes it for good.
import { authorization, refused } from './api.js';

export const CONNECTING = 0;
export const OPEN = 1;
export const CLOSED = 2;

export class EventStream {
  constructor(path) {
    this.path = path;
    this.readyState = CONNECTING;
    this.lastEventId = '';
    this.onopen = null;
    this.onerror = null;
    this.retryMs = 3000;
    this.listeners = new Map();
    this.stop = new AbortController();
    this.run();
  }

  addEventListener(type, listener) {
    if (!this.listeners.has(type)) this.listeners.set(type, []);
    this.listeners.get(type).push(listener);
  }

  close() {
    this.readyState = CLOSED;
    this.stop.abort();
  }

  async run() {
    while (this.readyState !== CLOSED) {
      let response;
      try {
        const headers = { Accept: 'text/event-stream', ...authorization() };
        if (this.lastEventId) headers['Last-Event-ID'] = this.lastEventId;
        response = await fetch(this.path, { headers, cache: 'no-store', signal: this.stop.signal });
      } catch {
        if (!this.failed(false)) return;
        await this.pause();
        continue;
      }
      refused(response);
      if (!response.ok || !(response.headers.get('Content-Type') || '').startsWith('text/event-stream')) {
        response.body?.cancel().catch(() => {});
        this.failed(true);
        return;
      }
      this.readyState = OPEN;
      this.onopen?.();
      try {
        await this.read(response.body);
      } catch {
        // dropped, or closed: both are told below
      }
      if (!this.failed(false)) return;
      await this.pause();
    }
  }

  /** Tells the page the stream failed; false if it was closed meanwhile, and nothing is to be tried again. */
  failed(forGood) {
    if (this.readyState === CLOSED) return false;
    this.readyState = forGood ? CLOSED : CONNECTING;
    if (forGood) this.stop.abort();
    this.onerror?.();
    return !forGood;
  }

  pause() {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, this.retryMs);
      this.stop.signal.addEventListener('abort', () => { clearTimeout(timer); resolve(); }, { once: true });
    });
  }

  async read(body) {
    const reader = body.pipeThrough(new TextDecoderStream()).getReader();
    // what a dropped connection leaves half-sent is dropped with it
    let pending = { type: '', data: [], id: undefined };
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += value;
      // a line ends at \r\n, \n or \r; a \r that ends the buffer waits, as a \n may follow it
      let end;
      while ((end = buffer.search(/\r\n|\n|\r(?!$)/)) >= 0) {
        const line = buffer.slice(0, end);
        buffer = buffer.slice(end + (buffer.startsWith('\r\n', end) ? 2 : 1));
        if (line === '') {
          this.dispatch(pending);
          pending = { type: '', data: [], id: undefined };
        } else {
          this.field(pending, line);
        }
      }
    }
  }

  field(pending, line) {
    if (line.startsWith(':')) return; // a comment: the server's keep-alive
    const colon = line.indexOf(':');
    const name = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (name === 'event') pending.type = value;
    else if (name === 'data') pending.data.push(value);
    else if (name === 'id' && !value.includes('\0')) pending.id = value;
    else if (name === 'retry' && /^\d+$/.test(value)) this.retryMs = Number(value);
  }

  dispatch(pending) {
    // why before the data check: a message of an id alone moves the resume point past events skipped for this client
    if (pending.id !== undefined) this.lastEventId = pending.id;
    if (pending.data.length === 0) return;
    const event = { type: pending.type || 'message', data: pending.data.join('\n'), lastEventId: this.lastEventId };
    for (const listener of this.listeners.get(event.type) || []) listener(event);
  }
}
