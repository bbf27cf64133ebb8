// The person's side of an advice chat (docs/chat.md). Nothing is asked of them but the words.
// The chat connects when they send their first message (or at once, to resume a chat this tab
// already had); the resume token lives in this tab's sessionStorage only and is wiped when the
// chat ends or when they leave through "Exit this page".

import { readStrings, translator } from "../video/text.js";
import { ChatSocket, lineItem } from "./socket.js";

const STORAGE = "kohtaamo-chat";

class PersonChat {
  constructor(root) {
    this.root = root;
    this.service = root.dataset.service;
    this.t = translator(readStrings(document.getElementById("chat-strings")));
    this.log = document.getElementById("chat-log");
    this.status = document.getElementById("chat-status");
    this.announcer = document.getElementById("chat-announcer");
    this.typing = document.getElementById("chat-typing");
    this.form = document.getElementById("chat-form");
    this.text = document.getElementById("chat-text");
    this.error = document.getElementById("chat-error");
    this.endButton = document.getElementById("chat-end");
    this.downloadButton = document.getElementById("chat-download");
    this.identified = document.getElementById("chat-identified");
    this.keepButton = document.getElementById("chat-keep");
    this.saved = readSaved(this.service);
    this.lines = [];
    this.pending = null; // the first message, sent once welcomed
    this.ended = false;
    this.socket = new ChatSocket({
      path: root.dataset.wsPath,
      hello: () => ({
        type: "hello",
        v: 1,
        service: this.service,
        resume: this.saved?.resume ?? undefined,
        seen: this.lastSeq(),
        identified: Boolean(this.identified?.checked),
      }),
    });
    this.socket.addEventListener("message", (event) => this.onMessage(event.detail.message));
    this.socket.addEventListener("status", (event) => this.onStatus(event.detail.state));
    this.socket.addEventListener("closed", (event) => this.onClosed(event.detail.code));
  }

  start() {
    this.form.hidden = false;
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.submit();
    });
    this.text.addEventListener("input", () => this.sendTyping());
    this.endButton.addEventListener("click", () => this.leave());
    this.downloadButton.addEventListener("click", () => this.download());
    this.keepButton?.addEventListener("click", () => this.socket.send({ type: "keep" }));
    // "Exit this page" ends the chat at once and leaves no trace in this tab.
    document.querySelector(".exit-this-page__button")?.addEventListener("click", () => {
      this.socket.send({ type: "leave" });
      this.socket.stop();
      sessionStorage.removeItem(STORAGE);
    });
    if (this.saved) this.socket.start();
  }

  lastSeq() {
    return this.lines.length ? this.lines[this.lines.length - 1].seq : 0;
  }

  submit() {
    const text = this.text.value.trim();
    if (!text) return this.showError(this.t("empty"));
    if (text.length > 2000) return this.showError(this.t("too_long"));
    this.showError("");
    if (this.socket.open) {
      this.socket.send({ type: "say", text });
    } else {
      this.pending = text;
      if (this.identified) this.identified.disabled = true;
      this.socket.start();
    }
    this.text.value = "";
    this.typingSent = false;
  }

  sendTyping() {
    const on = this.text.value.length > 0;
    if (on !== this.typingSent && this.socket.open) {
      this.socket.send({ type: "typing", on });
      this.typingSent = on;
    }
  }

  onStatus(state) {
    if (state === "reconnecting") this.status.textContent = this.t("reconnecting");
    else if (state === "connecting") this.status.textContent = this.t("connecting");
  }

  onMessage(message) {
    switch (message.type) {
      case "welcome":
        return this.onWelcome(message);
      case "queue":
        this.status.textContent =
          message.estimate_minutes == null
            ? this.t("queued", { position: message.position })
            : this.t("queued_estimate", { position: message.position, minutes: message.estimate_minutes });
        return undefined;
      case "joined":
        return this.say(this.t("joined", { name: message.name }));
      case "line":
        return this.addLine(message);
      case "typing":
        this.typing.textContent = message.on ? this.t("typing") : "";
        return undefined;
      case "seen":
        return this.markSeen(message.seq);
      case "transferring":
        return this.say(this.t("transferring"));
      case "worker-away":
        return this.say(this.t("worker_away"));
      case "worker-back":
        return this.say(this.t("worker_back"));
      case "booking-offer":
        return this.offerBooking(message.url);
      case "ended":
        return this.onEnded(message.reason);
      case "kept":
        return this.onKept(message.url);
      case "error":
        if (message.code === "not-kept" || message.code === "cannot-keep") this.say(this.t("not_kept"));
        return undefined;
      default:
        return undefined;
    }
  }

  onWelcome(message) {
    if (message.resume) {
      this.saved = { service: this.service, resume: message.resume };
      sessionStorage.setItem(STORAGE, JSON.stringify(this.saved));
    }
    for (const line of message.lines) this.addLine(line, { quiet: true });
    if (message.state === "chatting") this.status.textContent = this.t("joined", { name: message.worker });
    else if (message.state === "new") this.status.textContent = this.t("write_first");
    this.endButton.hidden = false;
    this.downloadButton.hidden = false;
    if (this.keepButton) this.keepButton.hidden = !this.identified?.checked;
    if (message.state === "ended") this.onEnded("gone");
    if (this.pending) {
      this.socket.send({ type: "say", text: this.pending });
      this.pending = null;
    }
  }

  addLine(line, { quiet = false } = {}) {
    if (this.lines.some((known) => known.seq === line.seq)) return;
    this.lines.push(line);
    this.log.append(lineItem(line, (from, name) => (from === "person" ? this.t("you") : this.t("worker", { name }))));
    if (line.from === "worker") {
      this.typing.textContent = "";
      if (!quiet) this.announce(`${this.t("worker", { name: line.name })}: ${line.text}`);
      this.socket.send({ type: "seen", seq: line.seq });
    }
    this.log.lastElementChild?.scrollIntoView({ block: "nearest" });
  }

  markSeen(seq) {
    for (const item of this.log.querySelectorAll(".chat__line--person")) {
      if (Number(item.dataset.seq) <= seq && !item.querySelector(".chat__seen")) {
        const seen = document.createElement("span");
        seen.className = "chat__seen";
        seen.textContent = ` · ${this.t("seen")}`;
        item.querySelector(".chat__meta").append(seen);
      }
    }
  }

  offerBooking(url) {
    const item = document.createElement("li");
    item.className = "chat__line chat__line--system";
    const text = document.createElement("p");
    text.textContent = this.t("booking_offer");
    const link = document.createElement("a");
    link.className = "button";
    link.href = url;
    link.textContent = this.t("booking_link");
    item.append(text, link);
    this.log.append(item);
    this.announce(this.t("booking_offer"));
  }

  say(text) {
    this.status.textContent = text;
    this.announce(text);
  }

  announce(text) {
    this.announcer.textContent = text;
  }

  onKept(url) {
    this.say(this.t("kept"));
    const link = document.createElement("a");
    link.href = url;
    link.textContent = this.t("kept_link");
    this.status.append(" ", link);
    this.keepButton.hidden = true;
  }

  onEnded(reason) {
    this.ended = true;
    sessionStorage.removeItem(STORAGE);
    this.say(this.t(`ended_${reason}`) || this.t("ended_gone"));
    this.form.querySelector("button[type=submit]").disabled = true;
    this.text.disabled = true;
    this.endButton.hidden = true;
    // After the worker ends it the words are still here to download or keep; then the page may
    // stay connected. Otherwise there is nothing left to say.
    if (reason !== "worker") {
      this.socket.stop();
      if (this.keepButton) this.keepButton.hidden = true;
    }
  }

  onClosed(code) {
    sessionStorage.removeItem(STORAGE);
    if (code === 4423) this.say(this.t("closed"));
    else if (code === 4403) this.say(this.t("blocked"));
    else if (!this.ended) this.onEnded("gone");
  }

  leave() {
    this.socket.send({ type: "leave" });
    this.onEnded("left");
  }

  showError(text) {
    this.error.textContent = text;
    this.error.hidden = !text;
    if (text) this.text.setAttribute("aria-invalid", "true");
    else this.text.removeAttribute("aria-invalid");
  }

  download() {
    const who = (from, name) => (from === "person" ? this.t("you") : this.t("worker", { name }));
    const text = this.lines.map((line) => `${new Date(line.at).toLocaleString()} ${who(line.from, line.name)}:\n${line.text}\n`).join("\n");
    const link = document.createElement("a");
    link.href = URL.createObjectURL(new Blob([text], { type: "text/plain;charset=utf-8" }));
    link.download = this.t("download_name");
    link.click();
    URL.revokeObjectURL(link.href);
  }
}

function readSaved(service) {
  try {
    const saved = JSON.parse(sessionStorage.getItem(STORAGE) ?? "null");
    return saved?.service === service ? saved : null;
  } catch {
    return null;
  }
}

const root = document.getElementById("chat-root");
if (root && document.getElementById("chat-form")) new PersonChat(root).start();
