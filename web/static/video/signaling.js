// The room's WebSocket (docs/signaling.md, version 1): hello, resume after a drop, the page's own
// heartbeat, and pacing under the server's rate limit.
//
// Events: "status" {state: "connecting" | "open" | "reconnecting"}, "message" {message},
// "closed" {code, reason, opensAt} when the server refused or ended us and we stop for good
// (for 4423 we also try again by ourselves when the room opens).

const PING_EVERY_MS = 10_000;
// The server answers every ping; 20 s of silence means the socket is dead even if the browser
// has not noticed (a half-open TCP connection can look alive for minutes).
const PONG_MISSING_MS = 20_000;
const BACKOFF_MS = [500, 1000, 2000, 4000, 8000];
// Drops that keep our seat: the server holds it 60 s for a hello carrying the resume token.
const RESUMABLE = new Set([1001, 1005, 1006, 1011, 1012, 1013, 1014, 4503]);
// The server closes a connection sending more than 50 messages a second. Joining a full room
// sends an offer and a burst of ICE candidates to every peer, so stay well under that.
const SEND_PER_SECOND = 40;

export class Signaling extends EventTarget {
  #url;
  #credential;
  #storageKey;
  #resume = "";
  #socket = null;
  #attempt = 0;
  #welcomed = false;
  #resumeRefused = false;
  #stopped = false;
  #pingTimer = 0;
  #retryTimer = 0;
  #lastPong = 0;
  #queue = [];
  #tokens = SEND_PER_SECOND;
  #refilledAt = 0;
  #pumpTimer = 0;

  constructor({ url, credential, storageKey }) {
    super();
    this.#url = url;
    this.#credential = credential;
    this.#storageKey = storageKey;
    this.#resume = readStored(storageKey);
    // Coming back online is the best moment to retry; no need to sit out the backoff.
    window.addEventListener("online", () => {
      if (this.#retryTimer && !this.#stopped) {
        clearTimeout(this.#retryTimer);
        this.#retryTimer = 0;
        this.#open();
      }
    });
  }

  start() {
    this.#open();
  }

  /** Queue a message for the current connection; messages of a dropped one are discarded,
   * since they described peer connections that the resume rebuilds anyway. */
  send(message) {
    if (this.#stopped || !this.#welcomed) return false;
    this.#queue.push(JSON.stringify(message));
    this.#pump();
    return true;
  }

  /** Say goodbye: the server frees our seat at once and tells the others we left. */
  leave() {
    const socket = this.#socket;
    this.#stop();
    if (socket && socket.readyState === WebSocket.OPEN) {
      socket.send(JSON.stringify({ type: "leave" }));
      socket.close(1000);
    }
  }

  #open() {
    this.#retryTimer = 0;
    this.#welcomed = false;
    this.#emit("status", { state: this.#attempt ? "reconnecting" : "connecting" });
    let socket;
    try {
      socket = new WebSocket(this.#url);
    } catch {
      this.#dropped(1006, "");
      return;
    }
    this.#socket = socket;
    socket.onopen = () => {
      const hello = { type: "hello", v: 2 };
      if (this.#credential) hello.credential = this.#credential;
      if (this.#resume && !this.#resumeRefused) hello.resume = this.#resume;
      socket.send(JSON.stringify(hello));
      this.#lastPong = Date.now();
      this.#startHeartbeat(socket);
    };
    socket.onmessage = (event) => this.#received(event.data);
    socket.onclose = (event) => {
      if (socket === this.#socket) this.#dropped(event.code, event.reason);
    };
  }

  #received(data) {
    let message;
    try {
      message = JSON.parse(data);
    } catch {
      return;
    }
    if (!message || typeof message.type !== "string") return;
    // Anything from the server proves the connection alive, not only pong.
    this.#lastPong = Date.now();
    if (message.type === "pong") return;
    if (message.type === "welcome") {
      this.#welcomed = true;
      this.#attempt = 0;
      this.#resumeRefused = false;
      this.#resume = message.resume;
      writeStored(this.#storageKey, message.resume);
      this.#emit("status", { state: "open" });
    }
    this.#emit("message", { message });
  }

  #startHeartbeat(socket) {
    clearInterval(this.#pingTimer);
    this.#pingTimer = setInterval(() => {
      if (Date.now() - this.#lastPong > PONG_MISSING_MS) {
        // Give up on this socket without waiting for a close handshake that may never come.
        socket.onclose = null;
        socket.close();
        this.#dropped(1006, "pong missing");
        return;
      }
      if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ type: "ping" }));
    }, PING_EVERY_MS);
  }

  #dropped(code, reason) {
    clearInterval(this.#pingTimer);
    clearTimeout(this.#pumpTimer);
    this.#pumpTimer = 0;
    this.#queue = [];
    const wasWelcomed = this.#welcomed;
    this.#welcomed = false;
    this.#socket = null;
    if (this.#stopped) return;

    if (RESUMABLE.has(code)) {
      const delay = code === 4503 && this.#attempt === 0 ? 0 : BACKOFF_MS[Math.min(this.#attempt, BACKOFF_MS.length - 1)];
      this.#attempt += 1;
      this.#emit("status", { state: "reconnecting" });
      this.#retryTimer = setTimeout(() => this.#open(), delay);
      return;
    }
    // A resume token kept in sessionStorage may have outlived its seat (the page was reloaded
    // long after): try once more as a newcomer, who then waits in the lobby again.
    if (code === 4401 && !wasWelcomed && this.#resume && !this.#resumeRefused) {
      this.#resumeRefused = true;
      this.#forgetResume();
      this.#retryTimer = setTimeout(() => this.#open(), 0);
      return;
    }
    if (code === 4423) {
      const opensAt = parseOpening(reason);
      this.#emit("closed", { code, reason, opensAt });
      if (opensAt) {
        // Retry by ourselves when the room opens (timers longer than a day are not worth it).
        const wait = Math.max(1000, opensAt.getTime() - Date.now() + 1000 + Math.random() * 4000);
        if (wait < 86_400_000) this.#retryTimer = setTimeout(() => this.#open(), wait);
      }
      return;
    }
    this.#stop();
    this.#emit("closed", { code, reason, opensAt: null });
  }

  #stop() {
    this.#stopped = true;
    clearInterval(this.#pingTimer);
    clearTimeout(this.#retryTimer);
    clearTimeout(this.#pumpTimer);
    this.#queue = [];
    this.#forgetResume();
    if (this.#socket) {
      this.#socket.onclose = null;
      this.#socket.onmessage = null;
    }
  }

  #forgetResume() {
    this.#resume = "";
    writeStored(this.#storageKey, "");
  }

  #pump() {
    const now = performance.now();
    if (this.#refilledAt) {
      this.#tokens = Math.min(SEND_PER_SECOND, this.#tokens + ((now - this.#refilledAt) / 1000) * SEND_PER_SECOND);
    }
    this.#refilledAt = now;
    const socket = this.#socket;
    while (this.#queue.length && this.#tokens >= 1 && socket && socket.readyState === WebSocket.OPEN) {
      socket.send(this.#queue.shift());
      this.#tokens -= 1;
    }
    if (this.#queue.length && !this.#pumpTimer) {
      this.#pumpTimer = setTimeout(() => {
        this.#pumpTimer = 0;
        this.#pump();
      }, 1000 / SEND_PER_SECOND);
    }
  }

  #emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }
}

function parseOpening(reason) {
  const match = /opens\s+(\S+)/.exec(reason || "");
  if (!match) return null;
  const date = new Date(match[1]);
  return Number.isNaN(date.getTime()) ? null : date;
}

function readStored(key) {
  try {
    return sessionStorage.getItem(key) || "";
  } catch {
    return "";
  }
}

function writeStored(key, value) {
  try {
    if (value) sessionStorage.setItem(key, value);
    else sessionStorage.removeItem(key);
  } catch {
    // Private modes may refuse storage; the token still lives in memory for this page.
  }
}
