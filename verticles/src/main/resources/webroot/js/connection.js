// A WebSocket to /stream/ws that reconnects with exponential backoff (with jitter, so many viewers
// of a restarted server do not all knock at once). The backoff starts over once a connection has
// delivered a message.

export class ReconnectingSocket {
  /**
   * @param url        () => the URL to connect to (read at every attempt: the stream may change)
   * @param handlers   {onOpen(socket), onMessage(ArrayBuffer), onStatus(state, text), onClose(event)?}
   * @param protocols  () => the subprotocols to offer (the access token rides there), or undefined
   */
  constructor(url, handlers, { initialDelayMs = 500, maxDelayMs = 10000, protocols = () => undefined } = {}) {
    this.url = url;
    this.protocols = protocols;
    this.stopped = false;
    this.handlers = handlers;
    this.initialDelayMs = initialDelayMs;
    this.maxDelayMs = maxDelayMs;
    this.failures = 0;
    this.socket = null;
    this.timer = null;
    this.connections = 0;
  }

  start() {
    this.connect();
  }

  /** Drops the current connection (if any) and connects again at once, backoff reset. */
  restart() {
    this.stopped = false;
    this.failures = 0;
    this.drop();
    this.connect();
  }

  send(object) {
    if (this.socket && this.socket.readyState === WebSocket.OPEN) {
      this.socket.send(JSON.stringify(object));
    }
  }

  connect() {
    clearTimeout(this.timer);
    this.timer = null;
    const url = this.url();
    this.handlers.onStatus('connecting', `connecting to ${url}`);
    let socket;
    try {
      const offered = this.protocols();
      socket = offered ? new WebSocket(url, offered) : new WebSocket(url);
    } catch (error) {
      this.handlers.onStatus('failed', `cannot connect: ${error.message}`);
      return;
    }
    socket.binaryType = 'arraybuffer';
    let delivered = false;
    socket.onopen = () => {
      this.connections++;
      this.handlers.onStatus('open', 'connected');
      this.handlers.onOpen(socket);
    };
    socket.onmessage = (event) => {
      if (!delivered) {
        delivered = true;
        this.failures = 0;
      }
      if (event.data instanceof ArrayBuffer) {
        this.handlers.onMessage(event.data);
      }
    };
    socket.onclose = (event) => {
      if (this.socket !== socket) {
        return; // replaced by restart()
      }
      this.socket = null;
      if (this.handlers.onClose) {
        this.handlers.onClose(event);
      }
      if (this.stopped) {
        return;
      }
      const delay = this.nextDelay();
      const why = event.code === 1006 ? 'connection lost' : `closed (${event.code}${event.reason ? `: ${event.reason}` : ''})`;
      this.handlers.onStatus('closed', `${why}; reconnecting in ${(delay / 1000).toFixed(1)} s`);
      this.timer = setTimeout(() => this.connect(), delay);
    };
    this.socket = socket;
  }

  nextDelay() {
    const base = Math.min(this.maxDelayMs, this.initialDelayMs * 2 ** this.failures);
    this.failures++;
    return Math.round(base * (0.8 + 0.4 * Math.random()));
  }

  /** Stops reconnecting (e.g. the token was refused) until restart(). */
  stop(text) {
    this.stopped = true;
    this.drop();
    this.handlers.onStatus('failed', text);
  }

  drop() {
    clearTimeout(this.timer);
    this.timer = null;
    const socket = this.socket;
    this.socket = null;
    if (socket) {
      socket.onclose = null;
      socket.close();
    }
  }
}
