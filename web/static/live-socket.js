// A live WebSocket of the service, as the advice chat (docs/chat.md) and the group discussions
// (docs/groups.md) use it: hello, resume after a drop with what was missed, and a heartbeat.
// Events: "status" {state: "connecting" | "open" | "reconnecting"}, "message" {message},
// "closed" {code, reason} when the server ended us for good.

const PING_EVERY_MS = 15_000;
const BACKOFF_MS = [500, 1000, 2000, 4000, 8000];
// Drops after which the server still holds our place (a chat, a seat) for a hello with the
// resume token.
const RESUMABLE = new Set([1001, 1005, 1006, 1011, 1012, 1013, 1014, 4503]);

export class LiveSocket extends EventTarget {
  #path;
  #hello;
  #socket = null;
  #attempt = 0;
  #stopped = true;
  #pingTimer = 0;
  #welcomed = false;

  /** @param hello {() => object} the hello to send, asked again at every connection */
  constructor({ path, hello }) {
    super();
    this.#path = path;
    this.#hello = hello;
  }

  get open() {
    return this.#welcomed;
  }

  start() {
    this.#stopped = false;
    this.#attempt = 0;
    this.#connect();
  }

  send(message) {
    if (!this.#welcomed || this.#socket?.readyState !== WebSocket.OPEN) return false;
    this.#socket.send(JSON.stringify(message));
    return true;
  }

  stop() {
    this.#stopped = true;
    this.#welcomed = false;
    clearInterval(this.#pingTimer);
    this.#socket?.close(1000);
  }

  #connect() {
    this.#welcomed = false;
    this.#emit("status", { state: this.#attempt ? "reconnecting" : "connecting" });
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const socket = new WebSocket(`${scheme}//${location.host}${this.#path}`);
    this.#socket = socket;
    socket.addEventListener("open", () => socket.send(JSON.stringify(this.#hello())));
    socket.addEventListener("message", (event) => {
      let message;
      try {
        message = JSON.parse(event.data);
      } catch {
        return;
      }
      if (message.type === "welcome") {
        this.#welcomed = true;
        this.#attempt = 0;
        this.#emit("status", { state: "open" });
        clearInterval(this.#pingTimer);
        this.#pingTimer = setInterval(() => this.send({ type: "ping" }), PING_EVERY_MS);
      }
      this.#emit("message", { message });
    });
    socket.addEventListener("close", (event) => {
      if (socket !== this.#socket) return;
      clearInterval(this.#pingTimer);
      this.#welcomed = false;
      if (this.#stopped) return;
      if (RESUMABLE.has(event.code)) {
        const delay = BACKOFF_MS[Math.min(this.#attempt, BACKOFF_MS.length - 1)];
        this.#attempt += 1;
        this.#emit("status", { state: "reconnecting" });
        setTimeout(() => {
          if (!this.#stopped) this.#connect();
        }, delay);
        return;
      }
      this.#stopped = true;
      this.#emit("closed", { code: event.code, reason: event.reason });
    });
  }

  #emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }
}
