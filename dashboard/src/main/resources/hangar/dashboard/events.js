// The server's event stream read with fetch rather than an EventSource, so that the API token goes
// in the Authorization header: an EventSource can send no header, and a token in the address is
// kept by proxies' logs and shown in the browser's network panel. It reads the server-sent events
// format as an EventSource does and behaves like one: after a dropped connection it tries again
// after `retry` (3 s unless the server says otherwise), resuming after the last event id it got
// (Last-Event-ID); a refusal (a 4xx: 404 from a server without events, 401, 403) or an answer that
// is not an event stream closes it for good. Unlike an EventSource it tries again after a 5xx, as a
// server stopping (503) or a proxy without its server (502) will answer again, and after a 408 or a
// 429 (too many streams), once its Retry-After has passed. A stream silent for 45 s (the server
// sends a keep-alive every 15 s), or a connection unanswered as long, is taken for dropped: a
// connection a NAT or a sleeping laptop cut without a word would otherwise show the page live while
// it hears nothing.
import { authorization, refused } from './api.js';

export const CONNECTING = 0;
export const OPEN = 1;
export const CLOSED = 2;

/** The longest wait setTimeout keeps (a longer one fires at once). */
const LONGEST_RETRY_MS = 2 ** 31 - 1;
/** How long a stream may say nothing, not even its keep-alive (every 15 s), before it is taken for dropped. */
export const SILENCE_MS = 45000;
/** Refusals that say "not now" rather than "no": tried again, after their Retry-After. */
const BUSY = new Set([408, 429]);

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
      // why a signal per request, tied to close(): what fetch hangs on a signal goes with its request
      const request = new AbortController();
      const stop = () => request.abort();
      this.stop.signal.addEventListener('abort', stop);
      let forGood = false;
      try {
        forGood = await this.connect(request);
      } finally {
        this.stop.signal.removeEventListener('abort', stop);
      }
      if (!this.failed(forGood)) return;
      await this.pause();
    }
  }

  /** One connection, read to its end; whether what ended it closes the stream for good. */
  async connect(request) {
    let response;
    // a server or proxy that takes the connection and never answers is as silent as a stream that stops
    const unanswered = setTimeout(() => request.abort(), this.silenceMs ?? SILENCE_MS);
    try {
      const headers = { Accept: 'text/event-stream', ...authorization() };
      if (this.lastEventId) headers['Last-Event-ID'] = this.lastEventId;
      response = await fetch(this.path, { headers, cache: 'no-store', signal: request.signal });
    } catch {
      return false; // no answer: try again
    } finally {
      clearTimeout(unanswered);
    }
    refused(response);
    const stream = (response.headers.get('Content-Type') || '').startsWith('text/event-stream');
    if (!response.ok || !stream) {
      response.body?.cancel().catch(() => {});
      if (BUSY.has(response.status)) {
        const seconds = Number(response.headers.get('Retry-After'));
        this.nextPauseMs = Number.isFinite(seconds) && seconds > 0 ? Math.min(seconds * 1000, LONGEST_RETRY_MS) : 0;
        return false;
      }
      return response.ok || response.status < 500;
    }
    this.readyState = OPEN;
    this.onopen?.();
    await this.read(response.body);
    return false;
  }

  /** Tells the page the stream failed; false if it is closed, and nothing is to be tried again. */
  failed(forGood) {
    if (this.readyState === CLOSED) return false;
    this.readyState = forGood ? CLOSED : CONNECTING;
    if (forGood) this.stop.abort();
    this.onerror?.();
    return !forGood;
  }

  pause() {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.stop.signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(this.retryMs, this.nextPauseMs || 0));
      this.nextPauseMs = 0;
      this.stop.signal.addEventListener('abort', done);
    });
  }

  /** Reads the stream to its end, or until it drops or is closed; the connection is let go either way. */
  async read(body) {
    const reader = body.pipeThrough(new TextDecoderStream()).getReader();
    const lines = new LineReader((line) => this.line(line));
    // what a dropped connection leaves half-sent is dropped with it
    this.pending = { type: '', data: [], id: undefined };
    let quiet;
    const listen = () => {
      clearTimeout(quiet);
      quiet = setTimeout(() => reader.cancel().catch(() => {}), this.silenceMs ?? SILENCE_MS);
    };
    try {
      for (;;) {
        listen();
        const { value, done } = await reader.read();
        if (done) return;
        lines.push(value);
      }
    } catch {
      // dropped, or closed: the caller tells which
    } finally {
      clearTimeout(quiet);
      reader.cancel().catch(() => {});
    }
  }

  line(line) {
    if (line === '') {
      this.dispatch();
      return;
    }
    if (line.startsWith(':')) return; // a comment: the server's keep-alive
    const colon = line.indexOf(':');
    const name = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    const pending = this.pending;
    if (name === 'event') pending.type = value;
    else if (name === 'data') pending.data.push(value);
    else if (name === 'id' && !value.includes('\0')) pending.id = value;
    else if (name === 'retry' && /^\d+$/.test(value)) this.retryMs = Math.min(Number(value), LONGEST_RETRY_MS);
  }

  dispatch() {
    const pending = this.pending;
    this.pending = { type: '', data: [], id: undefined };
    // why before the data check: a message of an id alone moves the resume point past events skipped for this client
    if (pending.id !== undefined) this.lastEventId = pending.id;
    if (pending.data.length === 0) return;
    const event = { type: pending.type || 'message', data: pending.data.join('\n'), lastEventId: this.lastEventId };
    for (const listener of this.listeners.get(event.type) || []) {
      try {
        listener(event);
      } catch (e) {
        // one listener's failure is its own, as with an EventSource: the stream and the other listeners go on
        if (globalThis.reportError) reportError(e);
        else console.error(e);
      }
    }
  }
}

/**
 * Cuts text arriving in pieces into lines ended by CRLF, LF or CR. A CR that ends a piece ends its
 * line at once; an LF that then starts the next piece is the rest of that CRLF, not an empty line.
 * Each piece is scanned once, so a long line costs its length, not its length squared.
 */
class LineReader {
  constructor(onLine) {
    this.onLine = onLine;
    this.parts = [];
    this.afterCr = false;
  }

  push(text) {
    let start = 0;
    if (this.afterCr && text.startsWith('\n')) start = 1;
    this.afterCr = false;
    const ends = /\r\n|\n|\r/g;
    ends.lastIndex = start;
    let match;
    while ((match = ends.exec(text)) !== null) {
      this.parts.push(text.slice(start, match.index));
      this.onLine(this.parts.join(''));
      this.parts = [];
      start = match.index + match[0].length;
      if (match[0] === '\r' && start === text.length) this.afterCr = true;
    }
    if (start < text.length) this.parts.push(text.slice(start));
  }
}
